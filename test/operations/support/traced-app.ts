import type { LightMyRequestResponse } from 'fastify';
import { vi } from 'vitest';
import { processIdentity } from '../../../engine/observability/identity.js';
import { startTracing, type Tracing } from '../../../engine/observability/tracing.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, n, testPackage } from '../../engine/support.js';
import { stubEnvironment } from '../../support/environment.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

export const HOOK_SECRET = 'a-webhook-secret-of-some-length';

/** A test app and worker in a process whose tracing was started under `env` (the `OTEL_*` settings). */
export interface TracedApp {
  t: TestApp;
  tracing: Tracing | null;
  /** Stops the worker, the app and tracing, and puts the environment back. */
  close(): Promise<void>;
}

/**
 * Sets `env`, starts tracing as a process does at start-up, then an app (test package
 * installed) and a worker polling every 100 ms.
 *
 * @example
 * const traced = await startTracedApp({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
 */
export async function startTracedApp(
  env: Record<string, string>,
  identity = processIdentity('all'),
): Promise<TracedApp> {
  stubEnvironment(env);
  const tracing = await startTracing(identity, '0.1.0');
  const t = await createTestApp();
  t.runtime.registry.add(testPackage);
  const worker: WorkerHandle = await startWorker(t.runtime, { pollInterval: 100 });
  return {
    t,
    tracing,
    async close() {
      await worker.stop();
      await t.close();
      await tracing?.shutdown();
      vi.unstubAllEnvs();
    },
  };
}

/** webhook `hook` → step `a` → step `b`. */
export const hookAndTwoSteps = () => ({
  nodes: [n('hook', 'core.webhook', { secret: HOOK_SECRET }), n('a', 'tst.step'), n('b', 'tst.step')],
  edges: [e('hook', 'a'), e('a', 'b')],
});

/** Calls the journey's `hook` webhook with the right secret. */
export function callHook(t: TestApp, journeyId: string, body: unknown): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'content-type': 'application/json', 'x-waymark-secret': HOOK_SECRET },
    payload: JSON.stringify(body),
  });
}
