import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { insertRuns } from '../../../engine/runs/entry/insert-runs.js';
import { loadVersion } from '../../../engine/runs/versions.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { e, eventually, n, publish } from '../support.js';

const fixture = fileURLToPath(new URL('../fixtures/worker-process.ts', import.meta.url));
const RUNS = 1000;
let t: TestRuntime;
let server: Server;
const children: ChildProcess[] = [];
/** The Idempotency-Key of every request the http.request steps made, in arrival order. */
const keys: string[] = [];

beforeAll(async () => {
  t = await createTestRuntime();
  server = createServer((req, res) => {
    keys.push(String(req.headers['idempotency-key']));
    // Slow enough that the kill lands while a batch is in flight.
    setTimeout(() => res.end('{}'), 40);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  server?.close();
  await t?.close();
});

function startWorkerProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, DATABASE_URL: t.database.url, WAYMARK_HTTP_ALLOW_PRIVATE: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (data) => {
      if (String(data).includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
}

describe('a worker process killed mid-batch of 1,000', () => {
  test('repeats only the steps in flight, each with its own idempotency key, and every run completes', async () => {
    const db = t.runtime.db;
    const { port } = server.address() as AddressInfo;
    const j = await publish(db, {
      nodes: [
        n('t', 'tst.trigger'),
        n('call', 'http.request', { method: 'POST', url: `http://127.0.0.1:${port}/hook`, body: '{}' }),
        n('done', 'core.exit', { goal: 'called' }),
      ],
      edges: [e('t', 'call'), e('call', 'done', 'ok')],
    });
    const version = await loadVersion(db, j.journeyId, j.version);
    if (!version) throw new Error('no version');
    const contacts = await sql<{ id: string }>`
      insert into contacts (workspace_id, email) select (select id from workspaces where is_default), 'c' || g || '@batch.test' from generate_series(1, ${RUNS}::int) g
      returning id`.execute(db);
    const { runIds } = await insertRuns(db, {
      version,
      triggerNodeId: 't',
      output: 'out',
      contacts: { ids: contacts.rows.map((c) => c.id) },
      trigger: {},
    });
    expect(runIds).toHaveLength(RUNS);

    const first = await startWorkerProcess();
    await eventually(async () => keys.length >= 50, 30_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    // Requests the process wrote just before it died may still be arriving.
    await new Promise((r) => setTimeout(r, 500));
    const before = keys.length;
    expect(before).toBeLessThan(RUNS);

    const second = await startWorkerProcess();
    await eventually(async () => {
      const open = await sql<{ n: number }>`
        select count(*)::int as n from runs where journey_id = ${j.journeyId} and status <> 'completed'`.execute(db);
      return open.rows[0]?.n === 0;
    }, 90_000);
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));

    const calls = await db
      .selectFrom('steps')
      .select(['id', 'status'])
      .where('journey_id', '=', j.journeyId)
      .where('node_id', '=', 'call')
      .execute();
    expect(calls).toHaveLength(RUNS);
    expect(calls.every((s) => s.status === 'completed')).toBe(true);
    // Every request carried its step's id, so a repeat is one the receiver can recognise.
    const stepIds = new Set(calls.map((s) => s.id));
    expect(keys.every((k) => stepIds.has(k))).toBe(true);
    expect(new Set(keys).size).toBe(RUNS);
    // Only steps that were in flight when the process died ran twice.
    const repeated = keys.length - RUNS;
    expect(repeated).toBeLessThanOrEqual(before);
  }, 150_000);
});
