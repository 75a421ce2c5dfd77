import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { e, n, runEnds, testPackage } from '../engine/support.js';
import { api, publishJourney, start, withSettings } from '../failures/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

/** A run, or one of its steps, as the API shows it. */
type Answer = Awaited<ReturnType<typeof api>>['body'];

/** A stand-in endpoint and an app whose journeys call it with http.request. */
export interface HttpEndpoint {
  /** The stand-in's address, `http://127.0.0.1:<port>`. */
  base: string;
  /** Runs trigger → http.request GET `path` (onError: output, 3 attempts) → `ok` or `handled`: the run and its call step as the API shows them. */
  runAgainst(path: string, trigger?: object): Promise<{ run: Answer; call: Answer; took: string[] }>;
  /** `runAgainst` with the whole URL template: the stand-in's address is the template's to give. */
  runUrl(url: string, trigger?: object): Promise<{ run: Answer; call: Answer; took: string[] }>;
  /** `runUrl` with the call's params as given (`method`, `url`, `headers`, `body`, …). */
  runParams(params: Record<string, unknown>, trigger?: object): Promise<{ run: Answer; call: Answer; took: string[] }>;
  close(): Promise<void>;
}

/** Starts `answer` on 127.0.0.1 and an app with a worker that may call private addresses. */
export async function httpEndpoint(answer: RequestListener): Promise<HttpEndpoint> {
  const server: Server = createServer(answer);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const t: TestApp = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  t.runtime.registry.add(testPackage);
  const worker: WorkerHandle = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 20 } });
  const runParams: HttpEndpoint['runParams'] = async (params, trigger = {}) => {
    const j = await publishJourney(t, {
      nodes: [
        n('t', 'tst.trigger'),
        withSettings(n('call', 'http.request', params), {
          onError: 'output',
          retry: { attempts: 3, backoff: 'PT0S', maxBackoff: 'PT1S' },
        }),
        n('ok', 'tst.step'),
        n('handled', 'tst.step'),
      ],
      edges: [e('t', 'call'), e('call', 'ok', 'ok'), e('call', 'handled', 'error')],
    });
    const runId = await start(t, j, trigger);
    await runEnds(t.runtime.db, runId);
    const { status, body } = await api(t, { url: `/api/runs/${runId}` });
    expect(status).toBe(200);
    const step = (nodeId: string) => body.steps.find((s: { nodeId: string }) => s.nodeId === nodeId);
    return { run: body, call: step('call'), took: ['ok', 'handled'].filter((id) => step(id)) };
  };
  return {
    base,
    runParams,
    runUrl: (url, trigger) => runParams({ method: 'GET', url }, trigger),
    runAgainst: (path, trigger) => runParams({ method: 'GET', url: `${base}${path}` }, trigger),
    async close() {
      await worker.stop();
      await t.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
