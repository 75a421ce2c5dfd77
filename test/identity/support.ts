import { afterAll, beforeAll } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** An app with a worker for the file, and calls that read like the API. */
export function identityApp() {
  let t: TestApp | undefined;
  let worker: WorkerHandle | undefined;
  beforeAll(async () => {
    t = await createTestApp();
    worker = await startWorker(t.runtime, { retry: { retryBaseMs: 100 }, pollInterval: 200 });
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });
  const app = () => {
    if (!t) throw new Error('the app starts in beforeAll');
    return t;
  };
  const call = (method: Method, url: string, payload?: object) =>
    app().app.inject({ method, url, headers: app().auth, ...(payload ? { payload } : {}) });
  /** The answer's JSON; throws on anything but success, naming the answer. */
  const json = async (method: Method, url: string, payload?: object) => {
    const res = await call(method, url, payload);
    if (res.statusCode >= 300) throw new Error(`${method} ${url} answered ${res.statusCode}: ${res.body}`);
    return res.json();
  };
  const contact = async (body: object): Promise<string> => (await json('POST', '/api/contacts', body)).id;
  /** The contact's waiting runs, once it has `count` of them. */
  const waitingRuns = async (contactId: string, count: number) => {
    for (let i = 0; i < 100; i++) {
      const { runs } = await json('GET', `/api/runs?contactId=${contactId}&status=waiting`);
      if (runs.length >= count) return runs;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`contact ${contactId} never had ${count} waiting runs`);
  };
  /** Waits until the background refresh of the computed attribute `name` has finished. */
  const computedReady = async (name: string) => {
    for (let i = 0; i < 150; i++) {
      if ((await json('GET', `/api/computed-attributes/${name}`)).status === 'ready') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${name} never got ready`);
  };
  return { app, call, json, contact, waitingRuns, computedReady };
}

/** A graph node at height `y`. */
export const node = (id: string, type: string, params: object, y: number) => ({
  id,
  type,
  version: 1,
  params,
  position: { x: 0, y },
});

/** A graph of nodes one after the other, each entered by the `out` of the one before. */
export const chain = (...nodes: ReturnType<typeof node>[]) => ({
  nodes,
  edges: nodes.slice(1).map((n, i) => ({ id: `e${i}`, source: nodes[i]?.id, sourceHandle: 'out', target: n.id })),
});
