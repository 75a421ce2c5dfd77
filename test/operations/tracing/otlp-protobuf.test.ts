import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { processIdentity } from '../../../engine/observability/identity.js';
import { eventually, publish, runEnds } from '../../engine/support.js';
import { stubEnvironment } from '../../support/environment.js';
import { startCollector } from '../support/otlp-collector.js';
import { callHook, hookAndTwoSteps, startTracedApp, type TracedApp } from '../support/traced-app.js';

// API.md "Tracing": with only OTEL_EXPORTER_OTLP_ENDPOINT set, spans go out by OTLP/HTTP in
// protobuf (the default protocol) to <endpoint>/v1/traces, with the standard OTEL_* settings
// applied. A stand-in collector on 127.0.0.1 decodes what arrives.

const identity = processIdentity('all');
let collector: Awaited<ReturnType<typeof startCollector>>;
let traced: TracedApp;

beforeAll(async () => {
  collector = await startCollector();
  // No protocol named: protobuf is the default.
  stubEnvironment({ OTEL_EXPORTER_OTLP_PROTOCOL: undefined, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: undefined });
  traced = await startTracedApp(
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=k-0123456789',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    },
    identity,
  );
});
afterAll(async () => {
  await traced?.close();
  await collector?.close();
});

describe('OTLP export over HTTP in protobuf', () => {
  test('a webhook run’s spans reach the collector as a protobuf ExportTraceServiceRequest', async () => {
    const { t, tracing } = traced;
    expect(tracing).not.toBeNull();
    const j = await publish(t.runtime.db, hookAndTwoSteps());
    const res = await callHook(t, j.journeyId, { email: 'proto@example.com' });
    expect(res.statusCode).toBe(202);
    const runId = res.json().runId as string;
    expect((await runEnds(t.runtime.db, runId)).run.status).toBe('completed');
    const mine = await eventually(async () => {
      await tracing?.flush();
      const spans = collector.spans.filter((s) => s.attributes['waymark.run.id'] === runId);
      return spans.length >= 3 && spans;
    });

    // Sent where and how the standard variables say.
    expect(collector.paths.length).toBeGreaterThan(0);
    expect(collector.paths.every((p) => p === 'POST /v1/traces application/x-protobuf')).toBe(true);
    expect(collector.headers.every((h) => h['x-collector-key'] === 'k-0123456789')).toBe(true);
    expect(collector.headers.every((h) => h['content-encoding'] === 'gzip')).toBe(true);

    // One trace: the webhook's span, each step's span its child.
    const webhook = mine.find((s) => s.name === 'waymark.webhook');
    const steps = mine.filter((s) => s.name === 'waymark.step tst.step');
    expect(webhook).toBeDefined();
    expect(webhook?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(webhook?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(steps).toHaveLength(2);
    for (const step of steps) {
      expect(step.traceId).toBe(webhook?.traceId);
      expect(step.parentSpanId).toBe(webhook?.spanId);
      expect(step.attributes).toMatchObject({
        'waymark.journey.id': j.journeyId,
        'waymark.journey.version': 1,
        'waymark.node.type': 'tst.step',
        'waymark.step.status': 'completed',
        'waymark.step.attempt': 1,
      });
    }
    expect(steps.map((s) => s.attributes['waymark.node.id']).sort()).toEqual(['a', 'b']);
    expect(webhook?.attributes).toMatchObject({
      'waymark.journey.id': j.journeyId,
      'waymark.node.id': 'hook',
      'http.response.status_code': 202,
    });

    // The resource names the service and this process, as the metrics do.
    expect(webhook?.resource).toMatchObject({
      'service.name': 'waymark',
      'service.version': '0.1.0',
      'service.instance.id': identity.process,
      'waymark.role': 'all',
      'deployment.environment': 'test',
    });
  });
});
