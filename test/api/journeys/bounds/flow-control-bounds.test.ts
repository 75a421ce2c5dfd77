import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JourneyGraph, JourneySettings } from '../../../../engine/graph/types.js';
import { createTestApp, type TestApp } from '../../../support/runtime.js';

// Journey flow control (contracts/sending.md) takes only what its counters and times hold
// (server/README.md "Flow control bounds"): past them, every entry or send failed with a 500.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const SECRET = 'a-webhook-secret-of-16+';
const at = { x: 0, y: 0 };
const graph: JourneyGraph = {
  nodes: [
    { id: 'hook', type: 'core.webhook', version: 1, params: { secret: SECRET }, position: at },
    { id: 'end', type: 'core.exit', version: 1, params: {}, position: at },
  ],
  edges: [{ id: 'e', source: 'hook', sourceHandle: 'out', target: 'end' }],
};

const create = (settings: Partial<JourneySettings>) =>
  t.app.inject({ method: 'POST', url: '/api/journeys', headers: t.auth, payload: { name: 'Flow', graph, settings } });

const INT4_MAX = 2_147_483_647;
const refusals: [string, Partial<JourneySettings>, string, number][] = [
  ['maxEntries', { maxEntries: INT4_MAX + 1 }, '/settings/maxEntries', INT4_MAX],
  ['entryRate.count', { entryRate: { count: INT4_MAX + 1, perSeconds: 1 } }, '/settings/entryRate/count', INT4_MAX],
  [
    'entryRate.perSeconds',
    { entryRate: { count: 1, perSeconds: 31_557_600_001 } },
    '/settings/entryRate/perSeconds',
    31_557_600_000,
  ],
  ['sendRate.count', { sendRate: { count: INT4_MAX + 1, perSeconds: 1 } }, '/settings/sendRate/count', INT4_MAX],
  [
    'sendRate.perSeconds',
    { sendRate: { count: 1, perSeconds: 2_147_484 } },
    '/settings/sendRate/perSeconds',
    2_147_483,
  ],
];

describe('flow control bounds', () => {
  test.each(refusals)('%s past its bound is refused with 400 naming it', async (_name, settings, path, max) => {
    const res = await create(settings);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path, message: `body${path} must be <= ${max}` }],
    });
  });

  test('a draft saved with a cap past its bound is refused the same', async () => {
    const id = (await create({})).json().id;
    const res = await t.app.inject({
      method: 'PUT',
      url: `/api/journeys/${id}/draft`,
      headers: t.auth,
      payload: { graph, settings: { reentry: 'always', exitOn: [], maxEntries: 1e19 } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/settings/maxEntries', message: `body/settings/maxEntries must be <= ${INT4_MAX}` },
    ]);
  });

  test('settings at every bound publish, and a contact still enters', async () => {
    const created = await create({
      maxEntries: INT4_MAX,
      entryRate: { count: INT4_MAX, perSeconds: 31_557_600_000 },
      sendRate: { count: INT4_MAX, perSeconds: 2_147_483 },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: t.auth })).statusCode,
    ).toBe(201);
    const hook = await t.app.inject({
      method: 'POST',
      url: `/hooks/${id}/hook`,
      headers: { 'x-waymark-secret': SECRET },
      payload: { email: 'bound@example.com' },
    });
    expect(hook.statusCode).toBe(202);
  });

  test('an entry rate of one per 1000 years queues the second entry', async () => {
    const id = (await create({ entryRate: { count: 1, perSeconds: 31_557_600_000 } })).json().id;
    await t.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: t.auth });
    const enter = (email: string) =>
      t.app.inject({
        method: 'POST',
        url: `/hooks/${id}/hook`,
        headers: { 'x-waymark-secret': SECRET },
        payload: { email },
      });
    expect((await enter('first@example.com')).statusCode).toBe(202);
    expect((await enter('second@example.com')).statusCode).toBe(202);
    const stats = await t.app.inject({ method: 'GET', url: `/api/journeys/${id}/stats`, headers: t.auth });
    expect(stats.json().entries).toMatchObject({ entered: 1, queued: 1 });
  });
});
