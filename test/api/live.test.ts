import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRun } from '../../engine/runs/start.js';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { e, eventually, n, publish, testPackage } from '../engine/support.js';
import { createTestApp, TEST_TOKEN, type TestApp } from '../support/runtime.js';

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

describe('GET /api/live', () => {
  test('refuses the upgrade with 401 without a valid token', async () => {
    await expect(connect('token=wrong')).rejects.toThrow('status 401');
    await expect(connect('')).rejects.toThrow('status 401');
  });

  test('sends every finished step, the trigger included, only for the journey asked for', async () => {
    const graph = { nodes: [n('t', 'tst.trigger'), n('a', 'tst.step')], edges: [e('t', 'a')] };
    const j = await publish(t.runtime.db, graph);
    const other = await publish(t.runtime.db, graph);
    const all = await connect(`token=${TEST_TOKEN}`);
    const one = await connect(`token=${TEST_TOKEN}&journeyId=${j.journeyId}`);
    await new Promise((r) => setTimeout(r, 300)); // the LISTEN connection settles
    const start = (x: { journeyId: string; version: number }) =>
      t.runtime.db
        .transaction()
        .execute((trx) => startRun(trx, { ...x, triggerNodeId: 't', contactId: null, trigger: {} }));
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
});
