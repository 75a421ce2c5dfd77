import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, publish } from '../../engine/support.js';
import { type CollectedSpan, startCollector } from '../support/otlp-collector.js';
import { HOOK_SECRET, hookAndTwoSteps, startTracedApp, type TracedApp } from '../support/traced-app.js';

const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';
let collector: Awaited<ReturnType<typeof startCollector>>;
let traced: TracedApp;

beforeAll(async () => {
  collector = await startCollector();
  traced = await startTracedApp({
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '50',
  });
});
afterAll(async () => {
  await traced?.close();
  await collector?.close();
});

/** Posts an event under a caller's trace and returns the answer and the request's span. */
async function postEvent(payload: unknown, span: string): Promise<{ status: number; span: CollectedSpan }> {
  const { t, tracing } = traced;
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/events',
    headers: { ...t.auth, traceparent: `00-${CALLER_TRACE}-${span}-01` },
    payload: payload as Record<string, unknown>,
  });
  const found = await eventually(async () => {
    await tracing?.flush();
    return collector.spans.find((s) => s.name === 'POST /api/events' && s.parentSpanId === span);
  });
  return { status: res.statusCode, span: found };
}

describe('the span of POST /api/events', () => {
  test('is a SERVER span with the request’s method, route and answer status, in the caller’s trace', async () => {
    const { status, span } = await postEvent({ email: 'span@example.com', name: 'signed-up' }, CALLER_SPAN);
    expect(status).toBe(202);
    expect(span.traceId).toBe(CALLER_TRACE);
    expect(span.kind).toBe(2);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/events',
      'http.response.status_code': 202,
    });
    expect(span.status.code ?? 0).toBe(0);
  });

  test('a refused event is seen too, with its 4xx status and no error: the mistake is the caller’s', async () => {
    const invalid = await postEvent({ email: 'span@example.com' }, '1111111111111111');
    expect(invalid.status).toBe(400);
    expect(invalid.span.attributes['http.response.status_code']).toBe(400);
    expect(invalid.span.status.code ?? 0).toBe(0);
    const unknown = await postEvent(
      { contactId: '00000000-0000-4000-8000-000000000000', name: 'signed-up' },
      '2222222222222222',
    );
    expect(unknown.status).toBe(404);
    expect(unknown.span.attributes['http.response.status_code']).toBe(404);
    expect(unknown.span.status.code ?? 0).toBe(0);
  });
});

/** The span named `name` whose parent is the caller's span `parent`, once exported. */
async function spanUnder(name: string, parent: string): Promise<CollectedSpan> {
  return eventually(async () => {
    await traced.tracing?.flush();
    return collector.spans.find((s) => s.name === name && s.parentSpanId === parent);
  });
}

describe('a call answered before its route’s handler ran has its request span all the same', () => {
  test('POST /api/events without a token (401, answered by the auth hook): its span says 401, no error', async () => {
    const parent = '3333333333333333';
    const res = await traced.t.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: { traceparent: `00-${CALLER_TRACE}-${parent}-01` },
      payload: { email: 'span@example.com', name: 'signed-up' },
    });
    expect(res.statusCode).toBe(401);
    const span = await spanUnder('POST /api/events', parent);
    expect(span.traceId).toBe(CALLER_TRACE);
    expect(span.attributes).toMatchObject({ 'http.route': '/api/events', 'http.response.status_code': 401 });
    expect(span.status.code ?? 0).toBe(0);
  });

  test('a webhook body over the limit (413): its waymark.webhook span names the journey and node, no error', async () => {
    const { journeyId } = await publish(traced.t.runtime.db, hookAndTwoSteps());
    const parent = '4444444444444444';
    const res = await traced.t.app.inject({
      method: 'POST',
      url: `/hooks/${journeyId}/hook`,
      headers: {
        'content-type': 'application/json',
        'x-waymark-secret': HOOK_SECRET,
        traceparent: `00-${CALLER_TRACE}-${parent}-01`,
      },
      payload: JSON.stringify({ blob: 'x'.repeat(1024 * 1024 + 1) }),
    });
    expect(res.statusCode).toBe(413);
    const span = await spanUnder('waymark.webhook', parent);
    expect(span.kind).toBe(2);
    expect(span.attributes).toEqual({
      'waymark.journey.id': journeyId,
      'waymark.node.id': 'hook',
      'http.response.status_code': 413,
    });
    expect(span.status.code ?? 0).toBe(0);
  });
});
