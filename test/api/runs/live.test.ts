import { createRequire } from 'node:module';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRun } from '../../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, eventually, n, publish, testPackage } from '../../engine/support.js';
import { createTestApp, TEST_TOKEN, type TestApp } from '../../support/runtime.js';

/** The part of the `ws` client these tests use (the package ships no types). */
interface WsClient {
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'open', listener: () => void): void;
  on(event: 'unexpected-response', listener: (req: unknown, res: { statusCode: number }) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): void;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string) => WsClient;

let t: TestApp;
let worker: WorkerHandle;
let base: string;

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 200 });
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = address.replace('http', 'ws');
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

function connect(query: string): Promise<{ socket: WsClient; messages: unknown[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base}/api/live?${query}`);
    const messages: unknown[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    socket.on('open', () => resolve({ socket, messages }));
    socket.on('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    socket.on('error', reject);
  });
}

const graph = { nodes: [n('t', 'tst.trigger'), n('a', 'tst.step')], edges: [e('t', 'a')] };
const start = (x: { journeyId: string; version: number }) =>
  t.runtime.db
    .transaction()
    .execute((trx) => startRun(trx, { ...x, triggerNodeId: 't', contactId: null, trigger: {} }));

/** What PostgreSQL sends on the step channel, heard directly (no live-feed client of its own). */
async function hearNotices(): Promise<{ heard: unknown[]; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: t.runtime.databaseUrl });
  await client.connect();
  const heard: unknown[] = [];
  client.on('notification', (m) => heard.push(JSON.parse(m.payload ?? 'null')));
  await client.query('listen waymark_steps');
  return { heard, close: () => client.end() };
}

/** True once no process says it has live clients (a client that left is let go asynchronously). */
async function noWatchers(): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from live_watchers where until > now()`.execute(
    t.runtime.db,
  );
  return rows[0]?.n === 0;
}

async function runToEnd(journey: { journeyId: string; version: number }) {
  const run = await start(journey);
  await eventually(async () => {
    const r = await t.runtime.db
      .selectFrom('runs')
      .select('status')
      .where('id', '=', run?.runId ?? '')
      .executeTakeFirst();
    return r?.status === 'completed';
  });
  await new Promise((r) => setTimeout(r, 200)); // any notice sent is heard by now
}

describe('GET /api/live', () => {
  test('refuses the upgrade with 401 without a valid token', async () => {
    await expect(connect('token=wrong')).rejects.toThrow('status 401');
    await expect(connect('')).rejects.toThrow('status 401');
  });

  test('a request without a websocket upgrade gets a JSON error, as every error is', async () => {
    const res = await t.app.inject({ url: '/api/live', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json().error).toEqual({ code: 'not_found', message: expect.stringContaining('websocket') });
  });

  test('sends every finished step, the trigger included, only for the journey asked for', async () => {
    const j = await publish(t.runtime.db, graph);
    const other = await publish(t.runtime.db, graph);
    const all = await connect(`token=${TEST_TOKEN}`);
    const one = await connect(`token=${TEST_TOKEN}&journeyId=${j.journeyId}`);
    await new Promise((r) => setTimeout(r, 300)); // the LISTEN connection settles
    const run = await start(j);
    await start(other);
    await eventually(async () => all.messages.length >= 4);
    await eventually(async () => one.messages.length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(one.messages).toEqual([
      { type: 'step', journeyId: j.journeyId, version: 1, runId: run?.runId, nodeId: 't', status: 'completed' },
      { type: 'step', journeyId: j.journeyId, version: 1, runId: run?.runId, nodeId: 'a', status: 'completed' },
    ]);
    expect(new Set(all.messages.map((m) => (m as { journeyId: string }).journeyId))).toEqual(
      new Set([j.journeyId, other.journeyId]),
    );
    all.socket.close();
    one.socket.close();
  });

  test('steps send no notice while no client watches, and do from the moment one connects until the last leaves', async () => {
    const j = await publish(t.runtime.db, graph);
    await eventually(noWatchers); // the clients of the test before have left
    const notices = await hearNotices();
    try {
      await runToEnd(j);
      expect(notices.heard).toEqual([]);

      const client = await connect(`token=${TEST_TOKEN}`);
      await new Promise((r) => setTimeout(r, 300)); // the LISTEN connection settles
      await runToEnd(j);
      expect(notices.heard.map((m) => (m as { nodeId: string }).nodeId)).toEqual(['t', 'a']);
      await eventually(async () => client.messages.length >= 2);

      client.socket.close();
      await eventually(noWatchers);
      await runToEnd(j);
      expect(notices.heard).toHaveLength(2);
    } finally {
      await notices.close();
    }
  });

  test('a watcher whose process stopped refreshing it counts no more', async () => {
    const j = await publish(t.runtime.db, graph);
    await eventually(noWatchers);
    await sql`insert into live_watchers (id, until) values (gen_random_uuid(), now() - interval '1 second')`.execute(
      t.runtime.db,
    );
    const notices = await hearNotices();
    try {
      await runToEnd(j);
      expect(notices.heard).toEqual([]);
    } finally {
      await notices.close();
    }
  });

  test('a client that starts a run the moment its socket opens sees every step of it', async () => {
    const j = await publish(t.runtime.db, graph);
    await eventually(noWatchers); // the first client of the installation
    const client = await connect(`token=${TEST_TOKEN}`);
    const run = await start(j);
    await eventually(async () => client.messages.length >= 2);
    expect(client.messages.map((m) => (m as { runId: string; nodeId: string }).nodeId)).toEqual(['t', 'a']);
    expect(new Set(client.messages.map((m) => (m as { runId: string }).runId))).toEqual(new Set([run?.runId]));
    client.socket.close();
  });
});
