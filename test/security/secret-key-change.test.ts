import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createTestRuntime } from '../support/runtime.js';

// README "Environment": every process on one database needs the same WAYMARK_SECRET_KEY. A
// process started with another one is told at start, before any link in mail already sent
// stops verifying; a rotation (WAYMARK_SECRET_KEY_PREVIOUS) is not a change.
const KEY_A = 'key-change-A-0123456789abcdef';
const KEY_B = 'key-change-B-0123456789abcdef';
const KEY_C = 'key-change-C-0123456789abcdef';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

/** Starts and stops a process on the shared database; answers what it logged at warn and above. */
async function start(current: string, previous?: string): Promise<{ level: number; msg: string }[]> {
  const lines: { level: number; msg: string }[] = [];
  const log = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const env: Record<string, string> = { WAYMARK_SECRET_KEY: current };
  if (previous) env.WAYMARK_SECRET_KEY_PREVIOUS = previous;
  const t = await createTestRuntime(env, { database, logger: pino({ level: 'warn' }, log) });
  await t.close();
  return lines;
}

type Line = { level: number; msg: string };
const keyChanged = (lines: Line[]) => lines.filter((l) => /is not the key this database was used with/.test(l.msg));

describe('a process started with another secret key than the database was used with', () => {
  test('the first start and a restart with the same key say nothing of the key', async () => {
    expect(keyChanged(await start(KEY_A))).toEqual([]);
    expect(keyChanged(await start(KEY_A))).toEqual([]);
  });

  test('a restart with another key, the old one not given as previous, logs an error naming what breaks and how to mend it', async () => {
    const [line, ...more] = keyChanged(await start(KEY_B));
    expect(more).toEqual([]);
    expect(line?.level).toBe(50);
    expect(line?.msg).toMatch(/unsubscribe, click and open links in mail already sent/);
    expect(line?.msg).toMatch(/Set WAYMARK_SECRET_KEY back, or set WAYMARK_SECRET_KEY_PREVIOUS to the old key/);
  });

  test('it is said once: the next start with the new key is quiet', async () => {
    expect(keyChanged(await start(KEY_B))).toEqual([]);
  });

  test('a rotation, the old key given as WAYMARK_SECRET_KEY_PREVIOUS, is not a change, nor the start after it without it', async () => {
    expect(keyChanged(await start(KEY_C, KEY_B))).toEqual([]);
    expect(keyChanged(await start(KEY_C))).toEqual([]);
  });
});
