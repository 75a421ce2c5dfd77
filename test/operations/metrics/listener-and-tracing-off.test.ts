import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { startMetricsListener } from '../../../server/metrics-listener.js';
import { e, n, publish, runEnds, testPackage } from '../../engine/support.js';
import { parsePrometheus } from '../../support/prometheus.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

const SECRET = 'a-webhook-secret-of-some-length';
let t: TestApp;
let worker: WorkerHandle;
let target: http.Server;
const received: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 100 });
  target = http.createServer((req, res) => {
    received.push(req.headers);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await new Promise((resolve) => target?.close(resolve));
});

describe('the METRICS_PORT listener', () => {
  test('serves GET /metrics without a token, and 404 on any other path', async () => {
    const listener = await startMetricsListener(t.runtime.metrics, { host: '127.0.0.1', port: 0 });
    try {
      const base = `http://127.0.0.1:${listener.port}`;
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(parsePrometheus(await res.text()).has('waymark_steps_total')).toBe(true);
      for (const path of ['/', '/api/journeys', '/metrics/x', '/healthz']) {
        const other = await fetch(`${base}${path}`);
        expect(other.status, path).toBe(404);
        expect(other.headers.get('x-content-type-options')).toBe('nosniff');
        expect(((await other.json()) as { error: { code: string } }).error.code).toBe('not_found');
      }
    } finally {
      await listener.close();
    }
  });

  test('a port in use stops start-up with an error naming METRICS_PORT', async () => {
    const taken = target.address() as AddressInfo;
    await expect(startMetricsListener(t.runtime.metrics, { host: '127.0.0.1', port: taken.port })).rejects.toThrow(
      /^METRICS_PORT: port \d+ on 127\.0\.0\.1 is already in use/,
    );
  });
});

describe('a METRICS_HOST that is no address of this machine', () => {
  test('stops start-up with an error naming METRICS_HOST', async () => {
    for (const host of ['not-a-host.invalid', '192.0.2.1'])
      await expect(startMetricsListener(t.runtime.metrics, { host, port: 0 })).rejects.toThrow(/^METRICS_HOST: /);
  });
});

describe('with tracing off', () => {
  test('no trace context is stored with the run and http.request sends no traceparent', async () => {
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/x`;
    const j = await publish(t.runtime.db, {
      nodes: [
        n('hook', 'core.webhook', { secret: SECRET }),
        n('call', 'http.request', { method: 'POST', url, body: '{}' }),
      ],
      edges: [e('hook', 'call')],
    });
    const res = await t.app.inject({
      method: 'POST',
      url: `/hooks/${j.journeyId}/hook`,
      headers: {
        'content-type': 'application/json',
        'x-waymark-secret': SECRET,
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      },
      payload: '{}',
    });
    expect(res.statusCode).toBe(202);
    const { run } = await runEnds(t.runtime.db, res.json().runId);
    expect(run.status).toBe('completed');
    expect(run.trace_context).toBeNull();
    expect(received).toHaveLength(1);
    expect(received[0]?.traceparent).toBeUndefined();
    expect(received[0]?.['idempotency-key']).toBeTruthy();
  });
});
