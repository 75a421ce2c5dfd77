import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { freePort, launch, waitHealthy } from '../operations/support/processes.js';
import { createTestDatabase } from '../support/database.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'waymark-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function start(env: Record<string, string>, mode = 'start'): { child: ChildProcess; output: () => string } {
  return launch(process.execPath, ['--import', 'tsx', 'server/main.ts', mode], env);
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('npm start on the embedded PostgreSQL', () => {
  test('starts, prints a token once, stops on SIGTERM, and keeps its data for the next start', async () => {
    const port = await freePort();
    const env = { PORT: String(port), WAYMARK_DATA_DIR: dataDir, DATABASE_URL: '' };
    const first = start(env);
    await waitHealthy(port);
    expect(first.output()).toMatch(/admin API token/);
    // teams.md: while there is no owner, every start prints the one-time setup link.
    expect(first.output()).toMatch(new RegExp(`http://127\\.0\\.0\\.1:${port}/setup/[A-Za-z0-9_-]{32,}`));
    // Nothing about a crontab file Waymark never uses (graphile-worker's default looks for one).
    expect(first.output()).not.toMatch(/crontab|cron is disabled/);
    const token = /\n\s+(wm_\S+)\n/.exec(first.output())?.[1] ?? '';
    expect(await stop(first.child)).toBe(0);

    const second = start(env);
    await waitHealthy(port);
    expect(second.output()).not.toMatch(/admin API token/);
    const code = /\/setup\/([A-Za-z0-9_-]{32,})/.exec(second.output())?.[1];
    const setup = await fetch(`http://127.0.0.1:${port}/api/auth/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, email: 'first@example.com', password: 'a long enough password' }),
    });
    expect(setup.status).toBe(201);
    expect(setup.headers.get('set-cookie')).toMatch(/waymark_session=.*HttpOnly/i);
    // The token from the first start still works: the data survived.
    const res = await fetch(`http://127.0.0.1:${port}/api/openapi.json`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const authed = await fetch(`http://127.0.0.1:${port}/api/no-such`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(authed.status).toBe(404);
    expect(await stop(second.child)).toBe(0);
  }, 180_000);

  test('a bad variable stops start-up with a message naming it', async () => {
    const bad = start({ PORT: 'not-a-port', WAYMARK_DATA_DIR: dataDir });
    const code = await new Promise<number | null>((resolve) => bad.child.once('exit', resolve));
    expect(code).toBe(1);
    expect(bad.output()).toMatch(/PORT: must be a whole number/);
  });

  test('an OTLP endpoint that is no URL stops start-up with a message naming it', async () => {
    const bad = start({ OTEL_EXPORTER_OTLP_ENDPOINT: 'notaurl', WAYMARK_DATA_DIR: dataDir });
    const code = await new Promise<number | null>((resolve) => bad.child.once('exit', resolve));
    expect(code).toBe(1);
    expect(bad.output()).toContain('waymark: bad configuration: OTEL_EXPORTER_OTLP_ENDPOINT: is not a URL');
  });
});

describe('two starts on one data folder', () => {
  // Stopped whatever a test's assertions say, or a failed one leaves a Waymark running.
  const started: ChildProcess[] = [];

  test('a data folder that cannot be made stops start-up naming WAYMARK_DATA_DIR', async () => {
    const under = path.join(dataDir, 'a-file');
    writeFileSync(under, '');
    const bad = start({ PORT: String(await freePort()), WAYMARK_DATA_DIR: path.join(under, 'data'), DATABASE_URL: '' });
    const code = await new Promise<number | null>((resolve) => bad.child.once('exit', resolve));
    expect(code).toBe(1);
    expect(bad.output()).toContain(`WAYMARK_DATA_DIR: cannot create ${path.join(under, 'data')}: ENOTDIR`);
  });

  test('a second start on a folder in use stops naming WAYMARK_DATA_DIR, and the first keeps serving', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'waymark-lock-'));
    try {
      const port = await freePort();
      const first = start({ PORT: String(port), WAYMARK_DATA_DIR: folder, DATABASE_URL: '' });
      started.push(first.child);
      await waitHealthy(port);

      const second = start({ PORT: String(await freePort()), WAYMARK_DATA_DIR: folder, DATABASE_URL: '' });
      started.push(second.child);
      const code = await new Promise<number | null>((resolve) => second.child.once('exit', resolve));
      expect(code).toBe(1);
      expect(second.output()).toContain(
        `WAYMARK_DATA_DIR: ${folder} is in use by another Waymark (pid ${first.child.pid}) running the embedded PostgreSQL there`,
      );
      // Its cluster was not touched: the first still reaches its database.
      await new Promise((r) => setTimeout(r, 2_000));
      expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ ok: true });
      expect(first.output()).not.toMatch(/terminating connection|database unreachable/);
      expect(await stop(first.child)).toBe(0);
      expect(existsSync(path.join(folder, 'waymark.pid'))).toBe(false);
    } finally {
      await Promise.all(started.splice(0).map(stop));
      rmSync(folder, { recursive: true, force: true });
    }
  }, 180_000);

  test('a start after a SIGKILL takes the folder over, stops the orphaned PostgreSQL and keeps the data', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'waymark-lock-'));
    try {
      const port = await freePort();
      const env = { PORT: String(port), WAYMARK_DATA_DIR: folder, DATABASE_URL: '' };
      const killed = start(env);
      started.push(killed.child);
      await waitHealthy(port);
      const token = /\n\s+(wm_\S+)\n/.exec(killed.output())?.[1] ?? '';
      const orphan = Number(readFileSync(path.join(folder, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
      const gone = new Promise((resolve) => killed.child.once('exit', resolve));
      killed.child.kill('SIGKILL');
      await gone;
      expect(isAlive(orphan)).toBe(true);

      const next = start(env);
      started.push(next.child);
      await waitHealthy(port);
      expect(next.output()).toMatch(/stopping an orphaned embedded PostgreSQL/);
      expect(next.output()).not.toMatch(/admin API token/);
      expect(isAlive(orphan)).toBe(false);
      const res = await fetch(`http://127.0.0.1:${port}/api/openapi.json`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      expect(await stop(next.child)).toBe(0);
    } finally {
      await Promise.all(started.splice(0).map(stop));
      rmSync(folder, { recursive: true, force: true });
    }
  }, 180_000);
});

/** Whether the process runs: a zombie (exited, its new parent not yet reaping it) does not. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('npm run start:server on a DATABASE_URL', () => {
  test('finishes its graceful shutdown on SIGTERM and exits 0', async () => {
    const tdb = await createTestDatabase();
    try {
      const port = await freePort();
      const server = start({ PORT: String(port), WAYMARK_DATA_DIR: dataDir, DATABASE_URL: tdb.url }, 'server');
      await waitHealthy(port);
      expect(await stop(server.child)).toBe(0);
      expect(server.output()).toMatch(/"msg":"stopped"/);
    } finally {
      await tdb.drop();
    }
  }, 120_000);

  test('a worker warns once of links pointing at 0.0.0.0 and of a secret key of its own; set right, it warns of neither', async () => {
    const tdb = await createTestDatabase();
    try {
      const outputs: string[] = [];
      const settings: Record<string, string>[] = [
        { PUBLIC_URL: 'http://0.0.0.0:3000' },
        { PUBLIC_URL: 'https://waymark.example.com', WAYMARK_SECRET_KEY: 'a-shared-secret-key-0123456789' },
      ];
      for (const env of settings) {
        const worker = start({ ...env, DATABASE_URL: tdb.url, WAYMARK_DATA_DIR: dataDir }, 'worker');
        for (let i = 0; i < 360 && !worker.output().includes('"msg":"worker running"'); i++)
          await new Promise((r) => setTimeout(r, 250));
        expect(await stop(worker.child)).toBe(0);
        outputs.push(worker.output());
      }
      const links =
        /links in mail and the setup link point at http:\/\/0\.0\.0\.0:3000, an address no one else can open: set PUBLIC_URL/g;
      const key =
        /WAYMARK_SECRET_KEY is not set: this process signs and encrypts with the key in its own data folder; every process on this DATABASE_URL needs the same key/g;
      expect(outputs[0]?.match(links), outputs[0]).toHaveLength(1);
      expect(outputs[0]?.match(key), outputs[0]).toHaveLength(1);
      expect(outputs[0]).toContain(`"keyFile":"${path.join(dataDir, 'secret.key')}"`);
      expect(outputs[1]).not.toMatch(/set PUBLIC_URL|WAYMARK_SECRET_KEY is not set/);
    } finally {
      await tdb.drop();
    }
  }, 180_000);

  test('a worker whose token-less METRICS_PORT listens on every interface (HOST=0.0.0.0) warns once; METRICS_HOST=127.0.0.1 stills it', async () => {
    const tdb = await createTestDatabase();
    try {
      const outputs: string[] = [];
      const quiet = { PUBLIC_URL: 'https://waymark.example.com', WAYMARK_SECRET_KEY: 'a-shared-secret-key-0123456789' };
      const settings: Record<string, string>[] = [{ HOST: '0.0.0.0' }, { HOST: '0.0.0.0', METRICS_HOST: '127.0.0.1' }];
      for (const env of settings) {
        const metricsPort = String(await freePort());
        const worker = start(
          { ...quiet, ...env, METRICS_PORT: metricsPort, DATABASE_URL: tdb.url, WAYMARK_DATA_DIR: dataDir },
          'worker',
        );
        for (let i = 0; i < 360 && !worker.output().includes('"msg":"worker running"'); i++)
          await new Promise((r) => setTimeout(r, 250));
        expect(await stop(worker.child)).toBe(0);
        outputs.push(worker.output());
      }
      const open =
        /METRICS_PORT serves \/metrics without a token on every interface, as METRICS_HOST \(default HOST\) is 0\.0\.0\.0: set METRICS_HOST=127\.0\.0\.1/g;
      expect(outputs[0]?.match(open)).toHaveLength(1);
      expect(outputs[1]).not.toMatch(/METRICS_PORT serves/);
    } finally {
      await tdb.drop();
    }
  }, 180_000);

  test('a DATABASE_URL that cannot be used stops start-up naming DATABASE_URL, without its password', async () => {
    const closed = `postgres://root:pw-not-shown@127.0.0.1:${await freePort()}/waymark`;
    const missing = new URL(inject('adminDatabaseUrl'));
    missing.pathname = '/waymark_no_such_database';
    for (const [url, reason] of [
      [closed, /connect ECONNREFUSED/],
      [missing.toString(), /database \\"waymark_no_such_database\\" does not exist/],
    ] as const) {
      const bad = start({ PORT: String(await freePort()), DATABASE_URL: url, WAYMARK_DATA_DIR: dataDir }, 'server');
      const code = await new Promise<number | null>((resolve) => bad.child.once('exit', resolve));
      expect(code).toBe(1);
      const shown = new URL(url);
      if (shown.password) shown.password = '***';
      expect(bad.output()).toContain(`Waymark could not start: DATABASE_URL: cannot use ${shown}: `);
      expect(bad.output()).toMatch(reason);
      expect(bad.output()).not.toContain('pw-not-shown');
    }
  }, 120_000);

  test('a HOST that is no address of this machine stops start-up with a message naming HOST', async () => {
    const tdb = await createTestDatabase();
    try {
      const env = { PORT: String(await freePort()), HOST: 'not-a-host.invalid', DATABASE_URL: tdb.url };
      const bad = start({ ...env, WAYMARK_DATA_DIR: dataDir }, 'server');
      const code = await new Promise<number | null>((resolve) => bad.child.once('exit', resolve));
      expect(code).toBe(1);
      expect(bad.output()).toMatch(/HOST: not-a-host\.invalid is not an address this machine can listen on/);
    } finally {
      await tdb.drop();
    }
  }, 120_000);
});
