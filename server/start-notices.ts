import { type LogFormat, type Logger, logFormat } from '../engine/logger.js';

/**
 * Something the operator must read at start, whatever `LOG_LEVEL`: the admin token made on a
 * first start, the first owner's setup link. `msg` is stable (a log query may look for it);
 * `text` is what a terminal shows.
 */
export interface StartNotice {
  msg: string;
  fields: Record<string, string | number>;
  text: string;
}

/**
 * Says `notice` in the log's format: on a terminal its human text; with JSON logs one log record
 * at `info` (with `role` and `process`, as every line), so a log shipper reading stdout gets no
 * line it cannot parse. Written even when `LOG_LEVEL` is above `info`: the token is shown once.
 *
 * @example
 * announce(logger, adminTokenNotice(token)); // {"level":30,…,"token":"wm_…","msg":"admin API token created (shown once)"}
 */
export function announce(
  logger: Logger,
  notice: StartNotice,
  format: LogFormat = logFormat(),
  terminal: Pick<NodeJS.WritableStream, 'write'> = process.stdout,
): void {
  if (format === 'pretty') terminal.write(notice.text);
  else logger.child({}, { level: 'info' }).info(notice.fields, notice.msg);
}

/** The admin API token made on a first start without `WAYMARK_API_TOKEN`. */
export function adminTokenNotice(token: string): StartNotice {
  return {
    msg: 'admin API token created (shown once)',
    fields: { token, use: 'Authorization: Bearer <token>, or paste it into the editor; stored only as a hash' },
    text:
      `\n  Your Waymark admin API token (shown once, stored only as a hash):\n\n    ${token}\n\n` +
      '  Use it as "Authorization: Bearer <token>", or paste it into the editor.\n\n',
  };
}

/** The one-time link that makes the first owner (teams.md "First owner"). */
export function setupLinkNotice(url: string): StartNotice {
  return {
    msg: 'create the first owner with the setup link (valid 24 h, once)',
    fields: { url },
    text: `\n  Create the first owner of Waymark (valid 24 h, once): ${url}\n\n`,
  };
}
