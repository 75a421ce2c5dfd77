import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { createLogger, logFormat } from '../../engine/logger.js';
import { processIdentity } from '../../engine/observability/identity.js';
import { adminTokenNotice, announce, setupLinkNotice } from '../../server/start-notices.js';

const TOKEN = 'wm_AbCdEfGhIjKlMnOpQrStUvWxYz012345';
const SETUP = 'http://127.0.0.1:3000/setup/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';

/** What a start writes: the log's lines (JSON, through a logger at `level`) and a terminal's text. */
function startOutput(level: string) {
  const logged: string[] = [];
  const log = new Writable({
    write(chunk, _encoding, done) {
      logged.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const identity = processIdentity('all');
  const terminal = {
    text: '',
    write(text: string) {
      terminal.text += text;
      return true;
    },
  };
  return { logger: createLogger(level, identity, log), identity, logged, terminal };
}

describe('the start notices with JSON logs (stdout not a terminal)', () => {
  test('the admin token is one JSON log record with a stable msg, the token, role and process', () => {
    const { logger, identity, logged, terminal } = startOutput('info');
    announce(logger, adminTokenNotice(TOKEN), 'json', terminal);
    expect(terminal.text).toBe('');
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0] as string)).toMatchObject({
      level: 30,
      msg: 'admin API token created (shown once)',
      token: TOKEN,
      role: 'all',
      process: identity.process,
    });
  });

  test('the setup link is one JSON log record holding the link', () => {
    const { logger, logged, terminal } = startOutput('info');
    announce(logger, setupLinkNotice(SETUP), 'json', terminal);
    expect(terminal.text).toBe('');
    expect(logged.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ msg: 'create the first owner with the setup link (valid 24 h, once)', url: SETUP }),
    ]);
  });

  test('they are written whatever LOG_LEVEL hides: the token is shown only once', () => {
    for (const level of ['warn', 'fatal', 'silent']) {
      const { logger, logged, terminal } = startOutput(level);
      logger.info('hidden at this level');
      announce(logger, adminTokenNotice(TOKEN), 'json', terminal);
      expect(
        logged.map((line) => JSON.parse(line).token),
        level,
      ).toEqual([TOKEN]);
    }
  });
});

describe('the start notices on a terminal (pretty logs)', () => {
  test('the admin token is the human text with the token on a line of its own, and no log record', () => {
    const { logger, logged, terminal } = startOutput('info');
    announce(logger, adminTokenNotice(TOKEN), 'pretty', terminal);
    expect(logged).toEqual([]);
    expect(terminal.text).toContain('Your Waymark admin API token (shown once, stored only as a hash):');
    expect(terminal.text).toContain(`\n    ${TOKEN}\n`);
  });

  test('the setup link is the human text naming it', () => {
    const { logger, logged, terminal } = startOutput('info');
    announce(logger, setupLinkNotice(SETUP), 'pretty', terminal);
    expect(logged).toEqual([]);
    expect(terminal.text).toBe(`\n  Create the first owner of Waymark (valid 24 h, once): ${SETUP}\n\n`);
  });
});

describe('the log format', () => {
  test('is pretty when stdout is a terminal, JSON when it is a pipe or a file', () => {
    expect(logFormat({ isTTY: true })).toBe('pretty');
    expect(logFormat({ isTTY: false })).toBe('json');
    expect(logFormat({})).toBe('json');
  });
});
