import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { publish, runEnds } from '../../engine/support.js';
import { freePort } from '../support/processes.js';
import { callHook, hookAndTwoSteps, startTracedApp, type TracedApp } from '../support/traced-app.js';

let traced: TracedApp;

beforeAll(async () => {
  // A collector address where nothing listens: every export fails.
  traced = await startTracedApp({
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
    OTEL_BSP_SCHEDULE_DELAY: '20',
  });
});
afterAll(async () => {
  await traced?.close();
});

describe('a collector that is down', () => {
  test('fails no webhook and no step: the spans are dropped', async () => {
    const { t, tracing } = traced;
    expect(tracing).not.toBeNull();
    const j = await publish(t.runtime.db, hookAndTwoSteps());
    for (let i = 0; i < 5; i++) {
      const res = await callHook(t, j.journeyId, { i });
      expect(res.statusCode).toBe(202);
      const { run, steps } = await runEnds(t.runtime.db, res.json().runId);
      expect(run.status).toBe('completed');
      // The run was traced: its context is stored, though no span could be delivered.
      expect(run.trace_context).toMatchObject({
        traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
      });
      expect(steps.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
    }
  });
});
