import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JourneySettings } from '../../../engine/graph/types.js';
import { e, n, publish } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// Two server processes on one PostgreSQL: two apps, each with its own runtime and pool.
let a: TestApp;
let b: TestApp;
const SECRET = 'a-webhook-secret-of-some-length';

beforeAll(async () => {
  a = await createTestApp();
  b = await createTestApp({}, { database: a.database });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

const graph = () => ({
  nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('done', 'core.exit')],
  edges: [e('hook', 'done')],
});

function limited(webhookRateLimit: JourneySettings['webhookRateLimit']) {
  return publish(a.runtime.db, graph(), { webhookRateLimit });
}

function post(app: TestApp, journeyId: string, secret = SECRET, headers: Record<string, string> = {}) {
  return app.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'content-type': 'application/json', 'x-waymark-secret': secret, ...headers },
    payload: '{}',
  });
}

describe('the webhook rate limit', () => {
  test('counts the calls of every server process against one limit', async () => {
    const { journeyId } = await limited({ max: 3, window: 'PT1H' });
    expect((await post(a, journeyId)).statusCode).toBe(202);
    expect((await post(b, journeyId)).statusCode).toBe(202);
    expect((await post(a, journeyId)).statusCode).toBe(202);
    for (const app of [b, a]) {
      const res = await post(app, journeyId);
      expect(res.statusCode).toBe(429);
      expect(res.json().error.code).toBe('rate_limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(3600);
    }
  });

  test('lets exactly the limit through when calls race on two processes', async () => {
    const { journeyId } = await limited({ max: 5, window: 'PT1H' });
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => post(i % 2 ? a : b, journeyId)));
    expect(answers.filter((r) => r.statusCode === 202)).toHaveLength(5);
    expect(answers.filter((r) => r.statusCode === 429)).toHaveLength(11);
    const runs = await a.runtime.db
      .selectFrom('runs')
      .select(a.runtime.db.fn.countAll<number>().as('n'))
      .where('journey_id', '=', journeyId)
      .executeTakeFirstOrThrow();
    expect(Number(runs.n)).toBe(5);
  });

  test('accepts calls again once the window has passed', async () => {
    const { journeyId } = await limited({ max: 1, window: 'PT1S' });
    let refused: Awaited<ReturnType<typeof post>> | undefined;
    // A one-second window may turn between two calls; a few tries meet the limit inside one.
    for (let i = 0; i < 5 && !refused; i++) {
      const res = await post(i % 2 ? a : b, journeyId);
      if (res.statusCode === 429) refused = res;
    }
    expect(refused?.statusCode).toBe(429);
    expect(refused?.headers['retry-after']).toBe('1');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await post(a, journeyId)).statusCode).toBe(202);
  });

  test('limits calls under a window of thousands of years, answering 429 with Retry-After', async () => {
    const { journeyId } = await limited({ max: 1, window: 'P9999Y' });
    expect((await post(a, journeyId)).statusCode).toBe(202);
    const res = await post(b, journeyId);
    expect(res.statusCode).toBe(429);
    expect(res.json().error.code).toBe('rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  test('limits each journey on its own', async () => {
    const first = await limited({ max: 1, window: 'PT1H' });
    const second = await limited({ max: 1, window: 'PT1H' });
    expect((await post(a, first.journeyId)).statusCode).toBe(202);
    expect((await post(b, first.journeyId)).statusCode).toBe(429);
    expect((await post(b, second.journeyId)).statusCode).toBe(202);
  });

  test('does not count calls refused for a wrong secret', async () => {
    const { journeyId } = await limited({ max: 1, window: 'PT1H' });
    for (let i = 0; i < 3; i++) expect((await post(a, journeyId, 'not-the-secret-at-all')).statusCode).toBe(401);
    expect((await post(b, journeyId)).statusCode).toBe(202);
  });

  test('counts a call refused for its payload once, and answers it for its payload', async () => {
    const { journeyId } = await limited({ max: 2, window: 'PT1H' });
    expect((await post(a, journeyId)).statusCode).toBe(202);
    const bad = await a.app.inject({
      method: 'POST',
      url: `/hooks/${journeyId}/hook`,
      headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
      payload: '[1]',
    });
    expect(bad.statusCode).toBe(400);
    expect((await post(a, journeyId)).statusCode).toBe(429);
  });

  test('answers a repeated Idempotency-Key with its first answer, also once the limit is reached', async () => {
    const { journeyId } = await limited({ max: 2, window: 'PT1H' });
    const first = await post(a, journeyId, SECRET, { 'idempotency-key': 'order-1' });
    expect((await post(b, journeyId, SECRET, { 'idempotency-key': 'order-2' })).statusCode).toBe(202);
    expect((await post(a, journeyId)).statusCode).toBe(429);
    const again = await post(b, journeyId, SECRET, { 'idempotency-key': 'order-1' });
    expect([again.statusCode, again.json()]).toEqual([202, first.json()]);
    expect((await post(a, journeyId, SECRET, { 'idempotency-key': 'order-3' })).statusCode).toBe(429);
  });

  test('leaves journeys without a limit unlimited and uncounted', async () => {
    const { journeyId } = await publish(a.runtime.db, graph());
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => post(i % 2 ? a : b, journeyId)));
    expect(answers.every((r) => r.statusCode === 202)).toBe(true);
    const rows = await a.runtime.db
      .selectFrom('webhook_rate_windows')
      .selectAll()
      .where('journey_id', '=', journeyId)
      .execute();
    expect(rows).toEqual([]);
  });
});

describe('the webhook rate limit after the journey changes', () => {
  async function createLive(settings: Record<string, unknown>): Promise<string> {
    const created = await a.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: a.auth,
      payload: { name: 'Limited', graph: graph(), settings },
    });
    const journeyId = created.json().id as string;
    expect(
      (await a.app.inject({ method: 'POST', url: `/api/journeys/${journeyId}/publish`, headers: a.auth })).statusCode,
    ).toBe(201);
    return journeyId;
  }
  async function republish(journeyId: string, settings: Record<string, unknown>) {
    const patched = await a.app.inject({
      method: 'PATCH',
      url: `/api/journeys/${journeyId}`,
      headers: a.auth,
      payload: { settings },
    });
    expect(patched.statusCode).toBe(200);
    expect(
      (await a.app.inject({ method: 'POST', url: `/api/journeys/${journeyId}/publish`, headers: a.auth })).statusCode,
    ).toBe(201);
  }

  test('takes calls again as soon as a version with a higher limit is published', async () => {
    const journeyId = await createLive({ webhookRateLimit: { max: 1, window: 'P1D' } });
    expect((await post(a, journeyId)).statusCode).toBe(202);
    expect((await post(a, journeyId)).statusCode).toBe(429);
    await republish(journeyId, { webhookRateLimit: { max: 100, window: 'P1D' } });
    const after = await post(a, journeyId);
    expect([after.statusCode, after.json().runId]).toEqual([202, expect.any(String)]);
  });

  test('answers 409 journey_paused, not 429, once a journey over its limit is paused', async () => {
    const journeyId = await createLive({ webhookRateLimit: { max: 1, window: 'P1D' } });
    expect((await post(a, journeyId)).statusCode).toBe(202);
    expect((await post(a, journeyId)).statusCode).toBe(429);
    await a.app.inject({ method: 'POST', url: `/api/journeys/${journeyId}/pause`, headers: a.auth });
    const paused = await post(a, journeyId);
    expect([paused.statusCode, paused.json().error.code]).toEqual([409, 'journey_paused']);
  });

  test('counts the first call after a limit is published', async () => {
    const journeyId = await createLive({});
    expect((await post(a, journeyId)).statusCode).toBe(202);
    await republish(journeyId, { webhookRateLimit: { max: 1, window: 'P1D' } });
    expect((await post(a, journeyId)).statusCode).toBe(202);
    expect((await post(a, journeyId)).statusCode).toBe(429);
  });

  test('a limit removed by PATCH webhookRateLimit null is gone from the next published version', async () => {
    const call = (method: 'POST' | 'PATCH', url: string, payload?: object) =>
      a.app.inject({ method, url, headers: a.auth, ...(payload ? { payload } : {}) });
    const created = await call('POST', '/api/journeys', {
      name: 'Unlimited later',
      graph: graph(),
      settings: { webhookRateLimit: { max: 1, window: 'PT1H' } },
    });
    const journeyId = created.json().id;
    expect((await call('POST', `/api/journeys/${journeyId}/publish`)).statusCode).toBe(201);
    expect((await post(a, journeyId)).statusCode).toBe(202);
    expect((await post(a, journeyId)).statusCode).toBe(429);
    expect(
      (await call('PATCH', `/api/journeys/${journeyId}`, { settings: { webhookRateLimit: null } })).statusCode,
    ).toBe(200);
    expect((await post(a, journeyId)).statusCode).toBe(429); // the published version still has it
    expect((await call('POST', `/api/journeys/${journeyId}/publish`)).statusCode).toBe(201);
    expect((await post(a, journeyId)).statusCode).toBe(202);
  });
});
