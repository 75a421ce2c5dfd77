import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { createLogger } from '../../engine/logger.js';
import { startEmbeddedPostgres } from '../../server/embedded-postgres.js';

const logger = createLogger('silent');
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function dataFolder(): string {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'waymark-pgpass-'));
  folders.push(folder);
  return folder;
}

/** Answers the error code of a connection attempt, or 'ok'. */
async function tryConnect(url: string, password: string): Promise<string> {
  const target = new URL(url);
  target.password = password;
  const client = new pg.Client({ connectionString: target.toString() });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

describe('the embedded PostgreSQL password', () => {
  test('is random, kept in the data folder with mode 0600, and the same on the next start', async () => {
    const dir = dataFolder();
    const first = await startEmbeddedPostgres(dir, logger);
    let password: string;
    try {
      const file = path.join(dir, 'pg.password');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      password = readFileSync(file, 'utf8').trim();
      expect(password).toMatch(/^[0-9a-f]{48}$/);
      expect(decodeURIComponent(new URL(first.url).password)).toBe(password);
      expect(await tryConnect(first.url, password)).toBe('ok');
      // The fixed password of earlier versions opens nothing.
      expect(await tryConnect(first.url, 'waymark')).toBe('28P01');
    } finally {
      await first.stop();
    }
    const second = await startEmbeddedPostgres(dir, logger);
    try {
      expect(decodeURIComponent(new URL(second.url).password)).toBe(password);
      expect(await tryConnect(second.url, password)).toBe('ok');
    } finally {
      await second.stop();
    }
  }, 120_000);

  test('a cluster made by an earlier version with the fixed password keeps its data and moves to a generated one', async () => {
    const dir = dataFolder();
    // What an earlier version left: a cluster whose superuser password is "waymark", with data,
    // and no password file.
    const old = await startEmbeddedPostgres(dir, logger);
    try {
      const client = new pg.Client({ connectionString: old.url });
      await client.connect();
      await client.query('create table kept (v text)');
      await client.query(`insert into kept values ('from before the upgrade')`);
      await client.query(`alter role postgres with password 'waymark'`);
      await client.end();
    } finally {
      await old.stop();
    }
    unlinkSync(path.join(dir, 'pg.password'));

    const upgraded = await startEmbeddedPostgres(dir, logger);
    try {
      const password = readFileSync(path.join(dir, 'pg.password'), 'utf8').trim();
      expect(password).not.toBe('waymark');
      expect(decodeURIComponent(new URL(upgraded.url).password)).toBe(password);
      expect(await tryConnect(upgraded.url, 'waymark')).toBe('28P01');
      const client = new pg.Client({ connectionString: upgraded.url });
      await client.connect();
      const { rows } = await client.query('select v from kept');
      await client.end();
      expect(rows).toEqual([{ v: 'from before the upgrade' }]);
    } finally {
      await upgraded.stop();
    }
    // And it keeps starting with the generated password afterwards.
    const again = await startEmbeddedPostgres(dir, logger);
    try {
      expect(await tryConnect(again.url, readFileSync(path.join(dir, 'pg.password'), 'utf8').trim())).toBe('ok');
    } finally {
      await again.stop();
    }
    expect(existsSync(path.join(dir, 'pg', 'PG_VERSION'))).toBe(true);
  }, 180_000);

  test('a password file that is not one Waymark wrote stops start-up with a message naming it', async () => {
    const dir = dataFolder();
    writeFileSync(path.join(dir, 'pg.password'), 'hunter2\n', { mode: 0o600 });
    await expect(startEmbeddedPostgres(dir, logger)).rejects.toThrow(/pg\.password does not hold a password/);
  });
});
