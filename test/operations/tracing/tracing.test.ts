import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { defineNode, definePackage } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createLogger } from '../../../engine/logger.js';
import { processIdentity } from '../../../engine/observability/identity.js';
import { startTracing, type Tracing } from '../../../engine/observability/tracing.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, eventually, n, publish, runEnds, testPackage } from '../../engine/support.js';
import { stubEnvironment } from '../../support/environment.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type CollectedSpan, startCollector } from '../support/otlp-collector.js';

const SECRET = 'a-webhook-secret-of-some-length';
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const identity = processIdentity('all');
let collector: Awaited<ReturnType<typeof startCollector>>;
let tracing: Tracing | null;
let t: TestApp;
let worker: WorkerHandle;
let target: http.Server;
let targetUrl: string;
const received: http.IncomingHttpHeaders[] = [];
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  collector = await startCollector();
  stubEnvironment({
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '50',
  });
  tracing = await startTracing(identity, '0.1.0');
  target = http.createServer((req, res) => {
    received.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/orders?secret=hidden`;
  const lines = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' }, { logger: createLogger('debug', identity, lines) });
  t.runtime.registry.add(testPackage);
  t.runtime.registry.add(speakingPackage);
  worker = await startWorker(t.runtime, { pollInterval: 100 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await tracing?.shutdown();
  await collector?.close();
  await new Promise((resolve) => target?.close(resolve));
  vi.unstubAllEnvs();
});

// A node that logs through ctx.log after an await, as a node with I/O would.
const speakingPackage = definePackage({
  name: 'speaking-nodes',
  version: '1.0.0',
  nodes: [
    defineNode({
      type: 'spk.speaks',
      version: 1,
      kind: 'action',
      title: 'Speaks',
      description: '',
      category: 'Test',
      params: { type: 'object', properties: {} },
      outputs: ['out'],
      async run(ctx) {
        await new Promise((resolve) => setImmediate(resolve));
        ctx.log.warn({ note: 7 }, 'a node speaks');
        return { next: 'out' };
      },
    }),
  ],
});

const graph = () => ({
  nodes: [
    n('hook', 'core.webhook', { secret: SECRET }),
    n('call', 'http.request', { method: 'POST', url: targetUrl, headers: { traceparent: 'forged' }, body: '{"a": 1}' }),
    n('after', 'tst.step'),
  ],
  edges: [e('hook', 'call'), e('call', 'after', 'ok')],
});

async function runOnce(headers: Record<string, string>) {
  const j = await publish(t.runtime.db, graph());
  const res = await t.app.inject({
    method: 'POST',
    url: `/hooks/${j.journeyId}/hook`,
    headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET, ...headers },
    payload: '{"order":7}',
  });
  expect(res.statusCode).toBe(202);
  const runId = res.json().runId as string;
  const { run } = await runEnds(t.runtime.db, runId);
  expect(run.status).toBe('completed');
  // Spans are exported in batches: wait until the run's last step span arrived.
  const spans = await eventually(async () => {
    await tracing?.flush();
    const mine = collector.spans.filter((s) => s.attributes['waymark.run.id'] === runId);
    return (
      mine.some((s) => s.name === 'waymark.step tst.step') && mine.some((s) => s.name === 'waymark.webhook') && mine
    );
  });
  return { journeyId: j.journeyId, runId, spans };
}

/** A webhook run through one step: its journey, run, how the run ended and the step's span. */
async function runToOneStep(step: ReturnType<typeof n>) {
  const j = await publish(t.runtime.db, {
    nodes: [n('hook', 'core.webhook', { secret: SECRET }), step],
    edges: [e('hook', step.id)],
  });
  const res = await t.app.inject({
    method: 'POST',
    url: `/hooks/${j.journeyId}/hook`,
    headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
    payload: '{}',
  });
  const runId = res.json().runId as string;
  const { run } = await runEnds(t.runtime.db, runId);
  const span = await eventually(async () => {
    await tracing?.flush();
    return collector.spans.find(
      (s) => s.attributes['waymark.run.id'] === runId && s.name === `waymark.step ${step.type}`,
    );
  });
  return { journeyId: j.journeyId, runId, status: run.status, span };
}

const named = (spans: CollectedSpan[], name: string) => {
  const found = spans.filter((s) => s.name === name);
  expect(found, name).toHaveLength(1);
  return found[0] as CollectedSpan;
};

describe('the trace of one webhook run', () => {
  test('continues the caller’s trace: webhook span → step spans → the CLIENT span of the HTTP call', async () => {
    const { journeyId, runId, spans } = await runOnce({
      traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`,
      tracestate: 'vendor=abc',
    });
    const hook = named(spans, 'waymark.webhook');
    expect(hook.traceId).toBe(CALLER_TRACE);
    expect(hook.parentSpanId).toBe(CALLER_SPAN);
    expect(hook.attributes).toMatchObject({
      'waymark.journey.id': journeyId,
      'waymark.journey.version': 1,
      'waymark.node.id': 'hook',
      'waymark.run.id': runId,
      'http.response.status_code': 202,
    });

    const call = named(spans, 'waymark.step http.request');
    const after = named(spans, 'waymark.step tst.step');
    for (const step of [call, after]) {
      expect(step.traceId).toBe(CALLER_TRACE);
      expect(step.parentSpanId).toBe(hook.spanId);
      expect(step.attributes).toMatchObject({
        'waymark.run.id': runId,
        'waymark.journey.id': journeyId,
        'waymark.journey.version': 1,
        'waymark.step.attempt': 1,
        'waymark.step.status': 'completed',
      });
    }
    expect(call.attributes).toMatchObject({ 'waymark.node.id': 'call', 'waymark.node.type': 'http.request' });
    expect(call.attributes['waymark.step.output']).toEqual(['ok']);
    expect(typeof call.attributes['waymark.step.id']).toBe('string');

    const client = collector.spans.find((s) => s.name === 'POST' && s.parentSpanId === call.spanId);
    expect(client).toBeDefined();
    expect(client?.kind).toBe(3); // SPAN_KIND_CLIENT
    const port = new URL(targetUrl).port;
    expect(client?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.full': `http://127.0.0.1:${port}/orders`,
      'server.address': '127.0.0.1',
      'server.port': Number(port),
      'http.response.status_code': 200,
    });
    // The request named its own CLIENT span, replacing the node's forged header, with the caller's tracestate.
    const sent = received.at(-1);
    expect(sent?.traceparent).toBe(`00-${CALLER_TRACE}-${client?.spanId}-01`);
    expect(sent?.tracestate).toBe('vendor=abc');
  });

  test('a caller’s trace that is not sampled still replaces the node’s own traceparent', async () => {
    const j = await publish(t.runtime.db, graph());
    const res = await t.app.inject({
      method: 'POST',
      url: `/hooks/${j.journeyId}/hook`,
      headers: {
        'content-type': 'application/json',
        'x-waymark-secret': SECRET,
        traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-00`,
      },
      payload: '{"order":8}',
    });
    expect(res.statusCode).toBe(202);
    expect((await runEnds(t.runtime.db, res.json().runId)).run.status).toBe('completed');
    expect(received.at(-1)?.traceparent).toMatch(new RegExp(`^00-${CALLER_TRACE}-[0-9a-f]{16}-00$`));
  });

  test('every span names the process: service.name, service.instance.id and waymark.role', async () => {
    const { spans } = await runOnce({});
    for (const span of spans)
      expect(span.resource).toMatchObject({
        'service.name': 'waymark',
        'service.version': '0.1.0',
        'service.instance.id': identity.process,
        'waymark.role': 'all',
      });
    expect(collector.paths.every((p) => p.startsWith('POST /v1/traces application/json'))).toBe(true);
  });

  test('an absent or invalid traceparent starts a new trace and is never an error', async () => {
    const calls: Record<string, string>[] = [
      {},
      { traceparent: 'not-a-traceparent' },
      { traceparent: `00-${'0'.repeat(32)}-${CALLER_SPAN}-01` },
    ];
    for (const headers of calls) {
      const { spans } = await runOnce(headers);
      const hook = named(spans, 'waymark.webhook');
      expect(hook.parentSpanId).toBe('');
      expect(hook.traceId).not.toBe(CALLER_TRACE);
      expect(named(spans, 'waymark.step tst.step').traceId).toBe(hook.traceId);
    }
  });

  test('calls accepted together in one statement each keep their own caller’s trace', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('after', 'tst.step')],
      edges: [e('hook', 'after')],
    });
    // Arriving at once, most calls wait for a statement in flight and leave in a group.
    const traceOf = (i: number) => `${(i + 1).toString(16).padStart(2, '0')}${'a'.repeat(30)}`;
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.app.inject({
          method: 'POST',
          url: `/hooks/${j.journeyId}/hook`,
          headers: {
            'content-type': 'application/json',
            'x-waymark-secret': SECRET,
            traceparent: `00-${traceOf(i)}-${CALLER_SPAN}-01`,
          },
          payload: JSON.stringify({ i }),
        }),
      ),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(12).fill(202));
    for (const [i, answer] of answers.entries()) {
      const runId = answer.json().runId as string;
      await runEnds(t.runtime.db, runId);
      const spans = await eventually(async () => {
        await tracing?.flush();
        const mine = collector.spans.filter((s) => s.attributes['waymark.run.id'] === runId);
        return (
          mine.some((s) => s.name === 'waymark.step tst.step') && mine.some((s) => s.name === 'waymark.webhook') && mine
        );
      });
      expect(named(spans, 'waymark.webhook').traceId, `call ${i}`).toBe(traceOf(i));
      expect(named(spans, 'waymark.step tst.step').traceId, `call ${i}`).toBe(traceOf(i));
    }
  });

  test('a step that fails for good has status ERROR and records the exception', async () => {
    const { span } = await runToOneStep(n('doomed', 'tst.flaky', { final: true }));
    expect(span.status.code).toBe(2); // STATUS_CODE_ERROR
    expect(span.attributes['waymark.step.status']).toBe('failed');
    expect(span.events.map((ev) => ev.name)).toContain('exception');
  });

  test('a step that failed for good while onError sent its token on is a failed step too, naming the output it took', async () => {
    const caught = { ...n('caught', 'tst.flaky', { final: true }), settings: { onError: 'output' as const } };
    const { status, span } = await runToOneStep(caught);
    expect(status).toBe('completed');
    expect(span.status.code).toBe(2); // STATUS_CODE_ERROR
    expect(span.attributes['waymark.step.status']).toBe('failed');
    expect(span.attributes['waymark.step.output']).toEqual(['error']);
    expect(span.events.map((ev) => ev.name)).toContain('exception');
  });
});

describe('a run started by POST /api/events', () => {
  test('its steps are children of the request’s span, which continues the caller’s trace', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'core.event', { event: 'traced-signup' }), n('after', 'tst.step')],
      edges: [e('t', 'after')],
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: { ...t.auth, traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
      payload: { email: 'traced@example.com', name: 'traced-signup' },
    });
    expect(res.statusCode).toBe(202);
    const run = await eventually(async () =>
      t.runtime.db.selectFrom('runs').select('id').where('journey_id', '=', j.journeyId).executeTakeFirst(),
    );
    await runEnds(t.runtime.db, run.id);
    const [request, step] = await eventually(async () => {
      await tracing?.flush();
      const step = collector.spans.find((s) => s.attributes['waymark.run.id'] === run.id);
      const request = collector.spans.find((s) => s.name === 'POST /api/events' && s.spanId === step?.parentSpanId);
      return request && step && ([request, step] as const);
    });
    expect(request.traceId).toBe(CALLER_TRACE);
    expect(request.parentSpanId).toBe(CALLER_SPAN);
    expect(step.name).toBe('waymark.step tst.step');
  });
});

describe('a run started by a segment entry', () => {
  test('its steps are children of a root span waymark.trigger core.segment', async () => {
    const contact = await t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: t.auth,
      payload: { email: 'traced-segment@example.com', attributes: { plan: 'traced-segment' } },
    });
    expect(contact.statusCode).toBe(201);
    const j = await publish(t.runtime.db, {
      nodes: [
        n('seg', 'core.segment', { filter: { attr: 'plan', op: 'eq', value: 'traced-segment' }, every: 'PT1S' }),
        n('after', 'tst.step'),
      ],
      edges: [e('seg', 'after')],
    });
    const step = await eventually(async () => {
      await tracing?.flush();
      return collector.spans.find(
        (s) => s.name === 'waymark.step tst.step' && s.attributes['waymark.journey.id'] === j.journeyId,
      );
    }, 20_000);
    const parent = collector.spans.find((s) => s.spanId === step.parentSpanId);
    expect(parent?.name).toBe('waymark.trigger core.segment');
    expect(parent?.traceId).toBe(step.traceId);
    expect(parent?.parentSpanId ?? '').toBe('');
  });
});

describe('log lines of a step', () => {
  test('carry the run, step, journey, node and the step span’s trace ids; debug ends each step with one line', async () => {
    const { runId, spans } = await runOnce({});
    const call = named(spans, 'waymark.step http.request');
    const finished = await eventually(async () =>
      logLines.find((l) => l.msg === 'step finished' && l.runId === runId && l.nodeId === 'call'),
    );
    expect(finished).toMatchObject({
      role: 'all',
      process: identity.process,
      runId,
      stepId: call.attributes['waymark.step.id'],
      journeyId: call.attributes['waymark.journey.id'],
      version: 1,
      nodeType: 'http.request',
      traceId: call.traceId,
      spanId: call.spanId,
      status: 'completed',
    });
    expect(typeof finished.durationMs).toBe('number');
  });

  test("a node's own ctx.log lines carry its step's ids and span", async () => {
    const { journeyId, runId, status, span: step } = await runToOneStep(n('speak', 'spk.speaks'));
    expect(status).toBe('completed');
    const line = logLines.find((l) => l.msg === 'a node speaks' && l.runId === runId);
    expect(line).toMatchObject({
      level: 40,
      note: 7,
      role: 'all',
      runId,
      stepId: step.attributes['waymark.step.id'],
      journeyId,
      version: 1,
      nodeId: 'speak',
      nodeType: 'spk.speaks',
      traceId: step.traceId,
      spanId: step.spanId,
    });
  });
});
