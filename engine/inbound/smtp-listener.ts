import type { AddressInfo } from 'node:net';
import { ValidationError } from '@waymark/sdk';
import { SMTPServer, type SMTPServerError } from 'smtp-server';
import type { Runtime } from '../runtime.js';
import { receiveMail } from './receive.js';
import { inboundStats } from './stats.js';

/** The largest inbound mail, on the SMTP listener and the webhook alike. */
export const INBOUND_MAX_BYTES = 10 * 1024 * 1024;

/** Open SMTP sessions one remote address may hold at once; the next one is answered 421. */
export const MAX_CONNECTIONS_PER_ADDRESS = 10;

export interface InboundSmtp {
  port: number;
  close(): Promise<void>;
}

/** The domain of an address, lower-cased ('' without one). */
const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

function smtpError(code: number, message: string): SMTPServerError {
  const error: SMTPServerError = new Error(message);
  error.responseCode = code;
  return error;
}

/**
 * The built-in SMTP listener (`INBOUND_SMTP_PORT`): takes mail for any address of
 * `INBOUND_EMAIL_DOMAIN` (550 for other domains), at most 10 MiB (552), and passes it to
 * `receiveMail`. Malformed MIME is refused for good (554); a failure on our side (the
 * database away) answers 451 so that the sender tries again: nothing is lost. One remote
 * address holds at most `maxConnectionsPerAddress` sessions (default
 * `MAX_CONNECTIONS_PER_ADDRESS`); the one past it is answered 421 and closed (a sender retries
 * later), so no single host can take every one of the 100 sessions.
 *
 * @example
 * const smtp = await startInboundSmtp(runtime, { port: 2525 });
 * await smtp.close();
 */
export async function startInboundSmtp(
  runtime: Runtime,
  options: { port: number; host?: string; maxConnectionsPerAddress?: number },
): Promise<InboundSmtp> {
  const domain = runtime.config.inboundEmailDomain;
  if (!domain) throw new Error('the inbound SMTP listener needs INBOUND_EMAIL_DOMAIN');
  const log = runtime.logger.child({ part: 'inbound', via: 'smtp' });
  const perAddress = options.maxConnectionsPerAddress ?? MAX_CONNECTIONS_PER_ADDRESS;
  // Open sessions by remote address; a session counts from its greeting until it closes.
  const open = new Map<string, number>();
  const counted = new WeakSet<object>();
  const server = new SMTPServer({
    name: domain,
    banner: 'Waymark inbound mail',
    authOptional: true,
    disabledCommands: ['AUTH'],
    size: INBOUND_MAX_BYTES,
    rejectOversized: true,
    maxRecipients: 20,
    maxClients: 100,
    socketTimeout: 60_000,
    // Shutdown must end within its 20 s: open sessions get 5 s to finish.
    closeTimeout: 5_000,
    logger: false,
    onConnect(session, callback) {
      const address = session.remoteAddress;
      const now = open.get(address) ?? 0;
      if (now >= perAddress) {
        log.info({ address, open: now }, 'inbound SMTP connection refused: too many from one address');
        return callback(smtpError(421, '4.7.0 too many connections from your address, try again later'));
      }
      open.set(address, now + 1);
      counted.add(session);
      callback();
    },
    onClose(session) {
      if (!counted.delete(session)) return;
      const left = (open.get(session.remoteAddress) ?? 1) - 1;
      if (left > 0) open.set(session.remoteAddress, left);
      else open.delete(session.remoteAddress);
    },
    onRcptTo(address, _session, callback) {
      // Any address of the domain is taken: mail that matches none of ours is logged and
      // dropped after, never an error to its sender (NODES.md); other domains are no mail of ours.
      if (domainOf(address.address) === domain.toLowerCase()) return callback();
      const rejected = inboundStats(runtime).add('rejected');
      log.info({ recipient: address.address, rejected }, 'inbound mail refused: not for this domain');
      callback(smtpError(550, `5.7.1 <${address.address}>: relaying is not permitted`));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        if (!stream.sizeExceeded) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          inboundStats(runtime).add('rejected');
          return callback(smtpError(552, '5.3.4 message exceeds the fixed maximum message size'));
        }
        const recipients = session.envelope.rcptTo.map((r) => r.address);
        receiveMail(runtime, Buffer.concat(chunks), { via: 'smtp', recipients }).then(
          () => callback(null, 'Message accepted'),
          (error: unknown) => {
            if (error instanceof ValidationError) return callback(smtpError(554, `5.6.0 ${error.message}`));
            log.error({ err: error }, 'inbound mail could not be stored; the sender will try again');
            callback(smtpError(451, '4.3.0 temporary failure, try again later'));
          },
        );
      });
    },
  });
  server.on('error', (error) => log.error({ err: error }, 'inbound SMTP listener error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, options.host ?? runtime.config.host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
