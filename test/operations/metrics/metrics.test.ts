import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { startRun } from '../../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, eventually, n, publish, runEnds, testPackage } from '../../engine/support.js';
import { sampleValue, scrapeMetrics } from '../../support/prometheus.js';
import { createTestApp, TEST_TOKEN, type TestApp } from '../../support/runtime.js';

const METRICS_TOKEN = 'metrics-token-0123456789';
const SECRET = 'a-webhook-secret-of-some-length';
let t: TestApp;
let worker: WorkerHandle;

beforeAll(async () => {
  t = await createTestApp({ METRICS_TOKEN });
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 50, retryMaxMs: 50 } });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

// hook → if(bad) ─yes→ doomed (fails for good)
//              └─no→ a → flaky (one retry) → mail (transactional, to the outbox) → park (waits a day)
const graph = {
  nodes: [
    n('hook', 'core.webhook', { secret: SECRET }),
    n('if', 'tst.if', { key: 'bad' }),
    n('doomed', 'tst.flaky', { final: true }),
    n('a', 'tst.step'),
    n('flaky', 'tst.flaky', { failures: 1 }),
    n('mail', 'email.send', { category: 'transactional', subject: 'Hello', html: '<p>Hi</p>' }),
    n('park', 'core.wait', { duration: 'P1D' }),
  ],
  edges: [
    e('hook', 'if'),
    e('if', 'doomed', 'yes'),
    e('if', 'a', 'no'),
    e('a', 'flaky'),
    e('flaky', 'mail'),
    e('mail', 'park', 'sent'),
  ],
};

function hook(journeyId: string, body: unknown, secret = SECRET) {
  return t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'content-type': 'application/json', 'x-waymark-secret': secret },
    payload: JSON.stringify(body),
  });
}

const scrape = (app: TestApp['app'] = t.app) => scrapeMetrics(app, METRICS_TOKEN);

describe('GET /metrics after a journey ran', () => {
  test('counts the webhooks, steps, messages and parked waits the journey made', async () => {
    const j = await publish(t.runtime.db, graph);
    const good = 3;
    const bad = 2;
    // A call naming the journey's id in upper case counts under the id all the same.
    for (let i = 0; i < good; i++)
      expect((await hook(i ? j.journeyId : j.journeyId.toUpperCase(), { email: `m${i}@example.com` })).statusCode).toBe(
        202,
      );
    for (let i = 0; i < bad; i++) expect((await hook(j.journeyId, { bad: true })).statusCode).toBe(202);
    expect((await hook(j.journeyId, {}, 'a-wrong-secret-of-some-length')).statusCode).toBe(401);
    // Done when every good run is parked at `park` and every bad one has failed.
    await eventually(async () => {
      const steps = await t.runtime.db
        .selectFrom('steps')
        .select(['node_id', 'status'])
        .where('journey_id', '=', j.journeyId)
        .execute();
      const parked = steps.filter((s) => s.node_id === 'park' && s.status === 'waiting').length;
      const failed = steps.filter((s) => s.node_id === 'doomed' && s.status === 'failed').length;
      return parked === good && failed === bad;
    }, 30_000);
    // A batch counts its steps right after its commit.
    const { res, families } = await eventually(async () => {
      const scraped = await scrape();
      return sampleValue(scraped.families, 'waymark_steps_total', { node_type: 'core.wait' }) === good && scraped;
    });
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const journey = j.journeyId;
    expect(sampleValue(families, 'waymark_webhooks_total', { journey, status: '202' })).toBe(good + bad);
    expect(sampleValue(families, 'waymark_webhooks_total', { journey, status: '401' })).toBe(1);
    const steps = (node_type: string, status: string) =>
      sampleValue(families, 'waymark_steps_total', { node_type, status });
    expect(steps('core.webhook', 'completed')).toBe(good + bad);
    expect(steps('tst.if', 'completed')).toBe(good + bad);
    expect(steps('tst.flaky', 'failed')).toBe(bad);
    expect(steps('tst.flaky', 'retry')).toBe(good);
    expect(steps('tst.flaky', 'completed')).toBe(good);
    expect(steps('email.send', 'completed')).toBe(good);
    expect(steps('core.wait', 'waiting')).toBe(good);
    expect(sampleValue(families, 'waymark_step_duration_seconds_count', { node_type: 'tst.flaky' })).toBe(
      good * 2 + bad,
    );
    expect(sampleValue(families, 'waymark_messages_total', { channel: 'email', outcome: 'sent' })).toBe(good);
    expect(sampleValue(families, 'waymark_waits_parked', { node_type: 'core.wait' })).toBe(good);
  });

  test('every series names the process role and id; the installation gauges and the pool are there', async () => {
    const { families } = await scrape();
    for (const name of ['waymark_jobs_due', 'waymark_oldest_due_job_age_seconds', 'waymark_db_pool_max']) {
      const sample = families.get(name)?.metrics[0];
      expect(sample?.labels).toMatchObject({ role: 'all', process: t.runtime.identity.process });
    }
    expect(t.runtime.identity.process).toBe(`${(await import('node:os')).hostname()}:${process.pid}`);
    expect(sampleValue(families, 'waymark_db_pool_max')).toBe(10);
    expect(
      families
        .get('waymark_db_pool_connections')
        ?.metrics.map((m) => m.labels?.state)
        .sort(),
    ).toEqual(['busy', 'idle']);
    expect(sampleValue(families, 'waymark_step_pool_max')).toBe(4);
    expect(
      families
        .get('waymark_step_pool_connections')
        ?.metrics.map((m) => m.labels?.state)
        .sort(),
    ).toEqual(['busy', 'idle']);
    expect(sampleValue(families, 'waymark_step_pool_waiting')).toBe(0);
    expect(sampleValue(families, 'waymark_step_slots_busy')).toBe(0);
    expect(sampleValue(families, 'waymark_step_slots_waiting')).toBe(0);
    expect(sampleValue(families, 'waymark_ingest_slots_busy')).toBe(0);
    expect(sampleValue(families, 'waymark_ingest_slots_waiting')).toBe(0);
    expect(families.has('process_resident_memory_bytes')).toBe(true);
    expect(families.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(families.get('waymark_step_duration_seconds')?.type).toBe('HISTOGRAM');
  });

  test('waymark_step_duration_seconds has the buckets API.md names, from 5 ms to 60 s', async () => {
    const { res } = await scrape();
    const bounds = res.body
      .split('\n')
      .filter(
        (line) => line.startsWith('waymark_step_duration_seconds_bucket{') && line.includes('node_type="tst.flaky"'),
      )
      .map((line) => /le="([^"]+)"/.exec(line)?.[1]);
    expect(bounds).toEqual([
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
      '30',
      '60',
      '+Inf',
    ]);
  });

  test('a webhook to a journey that does not exist counts under journey "unknown"', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    expect((await hook(missing, {})).statusCode).toBe(404);
    expect((await hook('not-a-uuid', {})).statusCode).toBe(404);
    // Counted once the answer is out (onResponse, after a look-up of the id), after inject resolved.
    await vi.waitFor(async () => {
      const { families } = await scrape();
      expect(sampleValue(families, 'waymark_webhooks_total', { journey: 'unknown', status: '404' })).toBe(2);
    });
  });
});

describe('GET /metrics on an idle installation', () => {
  test('the parked waits and the message backlog read 0 for each wait node type and channel, not "no data"', async () => {
    const idle = await createTestApp({ METRICS_TOKEN });
    try {
      const { families } = await scrape(idle.app);
      const series = (name: string, label: string) =>
        Object.fromEntries(families.get(name)?.metrics.map((m) => [m.labels?.[label], m.value]) ?? []);
      expect(series('waymark_waits_parked', 'node_type')).toEqual({ 'core.wait': '0', 'core.wait-for-event': '0' });
      expect(series('waymark_messages_backlog', 'channel')).toEqual({ email: '0', sms: '0' });
      for (const name of ['waymark_waits_parked', 'waymark_messages_backlog'])
        expect(families.get(name)?.metrics[0]?.labels).toMatchObject({
          role: 'all',
          process: idle.runtime.identity.process,
        });
    } finally {
      await idle.close();
    }
  });

  test('a wait node type of an added package has its own series at 0', async () => {
    const idle = await createTestApp({ METRICS_TOKEN });
    try {
      idle.runtime.registry.add(testPackage);
      const { families } = await scrape(idle.app);
      const waitTypes = families.get('waymark_waits_parked')?.metrics.map((m) => m.labels?.node_type);
      const testWaits = testPackage.nodes.filter((node) => node.kind === 'wait').map((node) => node.type);
      expect(testWaits.length).toBeGreaterThan(0);
      for (const type of testWaits) expect(waitTypes).toContain(type);
    } finally {
      await idle.close();
    }
  });
});

describe('a webhook answered before its handler runs', () => {
  test('a body over the limit counts under its journey with status 413', async () => {
    const j = await publish(t.runtime.db, graph);
    const big = { blob: 'x'.repeat(1024 * 1024 + 1) };
    expect((await hook(j.journeyId, big)).statusCode).toBe(413);
    await vi.waitFor(async () => {
      const { families } = await scrape();
      expect(sampleValue(families, 'waymark_webhooks_total', { journey: j.journeyId, status: '413' })).toBe(1);
    });
  });
});

describe('trigger steps of runs started outside webhooks', () => {
  const triggerSteps = async (node_type: string) =>
    sampleValue((await scrape()).families, 'waymark_steps_total', { node_type, status: 'completed' });

  test('count their trigger step once as completed, whichever route stored the event', async () => {
    const steps = () => triggerSteps('core.event');
    const before = await steps();
    const journey = (event: string) =>
      publish(t.runtime.db, {
        nodes: [n('t', 'core.event', { event }), n('a', 'tst.step')],
        edges: [e('t', 'a')],
      });
    await journey('signed-up');
    await journey('subscription.changed');
    const event = (email: string, name: string) =>
      t.app.inject({ method: 'POST', url: '/api/events', headers: t.auth, payload: { email, name } });
    for (const email of ['e1@example.com', 'e2@example.com'])
      expect((await event(email, 'signed-up')).statusCode).toBe(202);
    const contact = await t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: t.auth,
      payload: { email: 'e3@example.com' },
    });
    const put = await t.app.inject({
      method: 'PUT',
      url: `/api/contacts/${contact.json().id}/subscriptions/newsletter`,
      headers: t.auth,
      payload: { status: 'subscribed' },
    });
    expect(put.statusCode).toBe(200);
    // An event that starts nothing counts nothing.
    expect((await event('e1@example.com', 'nothing-listens')).statusCode).toBe(202);
    expect((await steps()) - before).toBe(3);
  });

  test('a failure journey’s run counts its core.run-failed trigger step in the worker that started it', async () => {
    const count = () => triggerSteps('core.run-failed');
    const before = await count();
    const alerts = await publish(t.runtime.db, {
      nodes: [n('t', 'core.run-failed'), n('a', 'tst.step')],
      edges: [e('t', 'a')],
    });
    const failing = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('x', 'tst.flaky', { final: true })],
      edges: [e('t', 'x')],
    });
    await t.runtime.db
      .transaction()
      .execute((trx) => startRun(trx, { ...failing, triggerNodeId: 't', contactId: null, trigger: {} }));
    await eventually(async () => {
      const run = await t.runtime.db
        .selectFrom('runs')
        .select('id')
        .where('journey_id', '=', alerts.journeyId)
        .executeTakeFirst();
      return run !== undefined;
    });
    await vi.waitFor(async () => expect((await count()) - before).toBe(1));
  });
});

describe('a step that failed for good while onError sent its token on', () => {
  test('counts as failed, not completed, as the run and the journey stats show it', async () => {
    const count = async (status: string) =>
      sampleValue((await scrape()).families, 'waymark_steps_total', { node_type: 'tst.flaky', status });
    const before = { failed: await count('failed'), completed: await count('completed') };
    const caught = await publish(t.runtime.db, {
      nodes: [
        n('t', 'tst.trigger'),
        { ...n('x', 'tst.flaky', { final: true }), settings: { onError: 'output' } },
        n('fallback', 'tst.step'),
      ],
      edges: [e('t', 'x'), e('x', 'fallback', 'error')],
    });
    const started = await t.runtime.db
      .transaction()
      .execute((trx) => startRun(trx, { ...caught, triggerNodeId: 't', contactId: null, trigger: {} }));
    const { run } = await runEnds(t.runtime.db, started?.runId as string);
    expect(run.status).toBe('completed');
    await vi.waitFor(async () => expect((await count('failed')) - before.failed).toBe(1));
    expect((await count('completed')) - before.completed).toBe(0);
  });
});

describe('who may read /metrics on the HTTP port', () => {
  test('no token, a wrong token or an API token → 401 unauthorized', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer wrong-token-0123456789' },
      { authorization: `Bearer ${TEST_TOKEN}` },
    ]) {
      const res = await t.app.inject({ method: 'GET', url: '/metrics', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('unauthorized');
    }
  });

  test('wrong tokens count as failed authentications: past 20 a minute, 429 even for the right token and the API', async () => {
    // An address of its own, so the other tests' scrapes are not limited.
    const from = (headers: Record<string, string>, url = '/metrics') =>
      t.app.inject({ method: 'GET', url, headers, remoteAddress: '10.9.8.7' });
    for (let i = 0; i < 20; i++)
      expect((await from({ authorization: 'Bearer wrong-token-0123456789' })).statusCode).toBe(401);
    const right = await from({ authorization: `Bearer ${METRICS_TOKEN}` });
    expect(right.statusCode).toBe(429);
    expect(right.json().error.code).toBe('rate_limited');
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect((await from(t.auth, '/api/journeys')).statusCode).toBe(429);
  });

  test('is not an /api route and is not in the OpenAPI document', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/openapi.json', headers: t.auth });
    expect(Object.keys(res.json().paths)).not.toContain('/metrics');
  });

  test('without METRICS_TOKEN the path answers 404 not_found', async () => {
    const plain = await createTestApp();
    try {
      const res = await plain.app.inject({ method: 'GET', url: '/metrics', headers: plain.auth });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    } finally {
      await plain.close();
    }
  });
});
