import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { startRun } from '../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { e, n, runEnds, testPackage } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

/**
 * A stand-in CRM endpoint: answers `status` (500 while "down") and counts the calls it got
 * per Idempotency-Key, and the calls it answered 2xx per key — so a test can tell a call
 * that was made twice from one recognised by its key.
 */
export interface StandIn {
  url: string;
  status: number;
  headers: Record<string, string>;
  calls: Map<string, number>;
  succeeded: Map<string, number>;
  /** Bodies posted to /alert, parsed. */
  alerts: unknown[];
  close(): Promise<void>;
}

export async function standIn(): Promise<StandIn> {
  const state = {
    status: 500,
    headers: {} as Record<string, string>,
    calls: new Map<string, number>(),
    succeeded: new Map<string, number>(),
    alerts: [] as unknown[],
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      if (req.url === '/alert') {
        state.alerts.push(JSON.parse(body || 'null'));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      const key = String(req.headers['idempotency-key'] ?? '');
      state.calls.set(key, (state.calls.get(key) ?? 0) + 1);
      if (state.status < 300) state.succeeded.set(key, (state.succeeded.get(key) ?? 0) + 1);
      res.writeHead(state.status, { 'content-type': 'application/json', ...state.headers });
      res.end(JSON.stringify({ answered: state.status }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

type Call = { method?: string; url: string; payload?: unknown; headers?: Record<string, string> };

/** An API call with the admin token (or with `headers` instead, e.g. another workspace's token): status and parsed body. */
export async function api(t: TestApp, call: Call) {
  const res = await t.app.inject({
    method: (call.method ?? 'GET') as 'GET',
    url: call.url,
    headers: call.headers ?? t.auth,
    ...(call.payload !== undefined ? { payload: call.payload as object } : {}),
  });
  return { status: res.statusCode, body: res.body ? res.json() : null };
}

/** A POST whose body is the JSON `null` (not no body at all): status and parsed body. */
export const postNull = (t: TestApp, url: string) =>
  api(t, { method: 'POST', url, payload: 'null', headers: { ...t.auth, 'content-type': 'application/json' } });

/** How a route whose body is an object refuses a JSON `null`. */
export const BODY_MUST_BE_OBJECT = {
  code: 'validation_failed',
  details: [{ path: '', message: 'body must be object' }],
} as const;

/** Creates a journey through the API with `graph` and publishes it; returns its id and version. */
export async function publishJourney(
  t: TestApp,
  graph: object,
  name = 'CRM sync',
): Promise<{ journeyId: string; version: number }> {
  const created = await api(t, { method: 'POST', url: '/api/journeys', payload: { name, graph } });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
  return publishAgain(t, created.body.id as string);
}

/** Publishes the journey's draft (after `graph` replaces it, when given). */
export async function publishAgain(t: TestApp, journeyId: string, graph?: object) {
  if (graph) {
    const put = await api(t, { method: 'PUT', url: `/api/journeys/${journeyId}/draft`, payload: { graph } });
    if (put.status !== 200) throw new Error(`draft: ${put.status} ${JSON.stringify(put.body)}`);
  }
  const published = await api(t, { method: 'POST', url: `/api/journeys/${journeyId}/publish` });
  if (published.status !== 201) throw new Error(`publish: ${published.status} ${JSON.stringify(published.body)}`);
  return { journeyId, version: published.body.version as number };
}

/** Starts an anonymous run at the trigger `t`. */
export async function start(
  t: TestApp,
  j: { journeyId: string; version: number },
  trigger = {},
  contactId: string | null = null,
): Promise<string> {
  const started = await t.runtime.db
    .transaction()
    .execute((trx) => startRun(trx, { ...j, triggerNodeId: 't', contactId, trigger }));
  if (!started) throw new Error('not started');
  return started.runId;
}

export const withSettings = (node: ReturnType<typeof n>, settings: unknown) => ({ ...node, settings });

/** trigger → fail (throws a final NodeError) → after */
export const failing = (settings?: unknown) => ({
  nodes: [
    n('t', 'tst.trigger'),
    settings === undefined
      ? n('fail', 'tst.flaky', { final: true })
      : withSettings(n('fail', 'tst.flaky', { final: true }), settings),
    n('after', 'tst.step'),
  ],
  edges: [e('t', 'fail'), e('fail', 'after')],
});

/** A published `failing()` journey with one run that failed at `fail` (the app needs the test package). */
export async function failedRunOf(t: TestApp) {
  const j = await publishJourney(t, failing());
  const runId = await start(t, j);
  const { status } = (await runEnds(t.runtime.db, runId)).run;
  if (status !== 'failed') throw new Error(`the run ended ${status}, not failed`);
  return { ...j, runId };
}

/**
 * A test app with the test nodes and a worker, started before the file's tests and closed
 * after them; `app()` is the app once started. A test may stop the worker and start it again.
 */
export function withWorkingApp() {
  let t: TestApp | undefined;
  let worker: WorkerHandle | undefined;
  const app = (): TestApp => {
    if (!t) throw new Error('the app is not started yet');
    return t;
  };
  const startWorking = async () => {
    worker = await startWorker(app().runtime, { pollInterval: 100, retry: { retryBaseMs: 20 } });
  };
  beforeAll(async () => {
    t = await createTestApp();
    t.runtime.registry.add(testPackage);
    await startWorking();
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });
  return { app, startWorker: startWorking, stopWorker: async () => worker?.stop() };
}
