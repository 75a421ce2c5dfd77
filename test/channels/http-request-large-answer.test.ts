import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { e, n, runEnds, testPackage } from '../engine/support.js';
import { api, publishJourney, start, withSettings } from '../failures/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

const MiB = 1024 * 1024;
/** A JSON document of exactly `bytes` bytes: `{"pad":"xxx…"}`. */
const jsonOf = (bytes: number) => `{"pad":"${'x'.repeat(bytes - 10)}"}`;

let server: Server;
let base: string;
let t: TestApp;
let worker: WorkerHandle;
let calls = 0;

beforeAll(async () => {
  // A stand-in endpoint answering JSON bodies of the size its path names.
  server = createServer((req, res) => {
    calls++;
    req.resume();
    const size = req.url?.startsWith('/exact') ? MiB : 2 * MiB;
    const status = req.url?.startsWith('/down') ? 503 : 200;
    res.writeHead(status, { 'content-type': 'application/json' }).end(jsonOf(size));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 20 } });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

/** Runs trigger → http.request GET `path` (onError: output) → `ok` or `handled`; answers the run as the API shows it. */
async function runAgainst(path: string) {
  const j = await publishJourney(t, {
    nodes: [
      n('t', 'tst.trigger'),
      withSettings(n('call', 'http.request', { method: 'GET', url: `${base}${path}` }), {
        onError: 'output',
        retry: { attempts: 3, backoff: 'PT0S', maxBackoff: 'PT1S' },
      }),
      n('ok', 'tst.step'),
      n('handled', 'tst.step'),
    ],
    edges: [e('t', 'call'), e('call', 'ok', 'ok'), e('call', 'handled', 'error')],
  });
  const runId = await start(t, j);
  await runEnds(t.runtime.db, runId);
  const { status, body } = await api(t, { url: `/api/runs/${runId}` });
  expect(status).toBe(200);
  const step = (nodeId: string) => body.steps.find((s: { nodeId: string }) => s.nodeId === nodeId);
  return { run: body, call: step('call'), took: ['ok', 'handled'].filter((id) => step(id)) };
}

describe('http.request answered a body over 1 MiB', () => {
  test('fails the step at once with http.response-too-large naming the cap, never passing a cut body on', async () => {
    const before = calls;
    const { run, call, took } = await runAgainst('/big');
    expect(calls - before).toBe(1); // not retried: the same answer would come again
    expect(run.status).toBe('completed');
    expect(took).toEqual(['handled']);
    expect(call.output).toMatchObject({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: null,
      error: {
        code: 'http.response-too-large',
        message: expect.stringContaining('1 MiB'),
        retryable: false,
        attempts: 1,
      },
    });
  });

  test('a body of exactly 1 MiB is read whole and parsed', async () => {
    const { call, took } = await runAgainst('/exact');
    expect(took).toEqual(['ok']);
    expect(call.output.status).toBe(200);
    expect(call.output.body.pad).toHaveLength(MiB - 10);
  });

  test('a 503 with a large body keeps its status code and retries, its body not passed on cut', async () => {
    const before = calls;
    const { call, took } = await runAgainst('/down');
    expect(calls - before).toBe(3);
    expect(took).toEqual(['handled']);
    expect(call.output).toMatchObject({ status: 503, body: null, error: { code: 'http.status-503' } });
  });
});
