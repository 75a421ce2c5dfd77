import { jStat } from 'jstat';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decideDueExperiments } from '../../engine/experiments/decide.js';
import { foldRollups } from '../../engine/runs/fold-counters.js';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import type { TestApp } from '../support/runtime.js';
import {
  assignments,
  experimentsApp,
  GOAL,
  makeContacts,
  postEvent,
  publish,
  runThrough,
  splitGraph,
} from './support.js';

// 2,000 contacts through a 50/50 split, conversions posted at known rates per variant, every
// figure checked against what this file computes itself (jStat for the distributions).
let t: TestApp;
let worker: WorkerHandle;
let journey: { journeyId: string; version: number };
const got: Record<string, { entered: number; converted: number }> = {
  a: { entered: 0, converted: 0 },
  b: { entered: 0, converted: 0 },
};
const RATES: Record<string, number> = { a: 0.1, b: 0.16 };
const Z = 1.959963984540054;

const get = (url: string) => t.app.inject({ method: 'GET', url, headers: t.auth });
const experiment = async (query = '') => {
  const res = await get(`/api/journeys/${journey.journeyId}/experiments${query}`);
  expect(res.statusCode).toBe(200);
  return res.json().experiments[0];
};

beforeAll(async () => {
  t = await experimentsApp();
  worker = await startWorker(t.runtime, { pollInterval: 200 });
  const graph = splitGraph(
    [
      { key: 'a', weight: 50 },
      { key: 'b', weight: 50 },
    ],
    // A day: the worker's heartbeat must not decide before the tests look (they move time on).
    { metric: 'goal', after: 'P1D', minPerVariant: 100, confidence: 0.95 },
  );
  journey = await publish(t.runtime.db, graph, { goal: GOAL });
  const contacts = await makeContacts(t, 2000);
  await runThrough(t, journey, contacts);
  const taken = await assignments(t, journey.journeyId, contacts);
  // Every k-th contact of a variant converts, k chosen from the variant's rate: known counts.
  const seen: Record<string, number> = { a: 0, b: 0 };
  const buyers: string[] = [];
  for (const id of contacts) {
    const v = taken.get(id)?.variant as string;
    const g = got[v] as { entered: number; converted: number };
    g.entered++;
    seen[v] = (seen[v] ?? 0) + 1;
    if (
      Math.floor((seen[v] as number) * (RATES[v] as number)) >
      Math.floor(((seen[v] as number) - 1) * (RATES[v] as number))
    ) {
      g.converted++;
      buyers.push(id);
    }
  }
  for (const id of buyers) await postEvent(t, id, 'purchase', { total: 10 });
  // A second purchase by a buyer changes nothing; other events convert nobody.
  await postEvent(t, buyers[0] as string, 'purchase');
  await postEvent(t, contacts.find((c) => !buyers.includes(c)) as string, 'browse');
}, 240_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

describe('an experiment on a split with a goal', () => {
  test('counts each contact once in the variant it was assigned, and its conversion', async () => {
    const e = await experiment();
    expect(e.nodeId).toBe('ab');
    expect(e.metric).toBe('goal');
    expect(e.baseline).toBe('a');
    expect(e.status).toBe('testing');
    expect(
      e.variants.map((v: { key: string; entered: number; converted: number }) => [v.key, v.entered, v.converted]),
    ).toEqual([
      ['a', got.a?.entered, got.a?.converted],
      ['b', got.b?.entered, got.b?.converted],
    ]);
    expect((got.a?.entered ?? 0) + (got.b?.entered ?? 0)).toBe(2000);
  });

  test('shows each rate with its Wilson interval', async () => {
    const e = await experiment();
    for (const v of e.variants) {
      const { entered: n, converted: x } = got[v.key] as { entered: number; converted: number };
      const p = x / n;
      const centre = (p + (Z * Z) / (2 * n)) / (1 + (Z * Z) / n);
      const half = (Z / (1 + (Z * Z) / n)) * Math.sqrt((p * (1 - p)) / n + (Z * Z) / (4 * n * n));
      expect(v.rate).toBeCloseTo(p, 12);
      expect(v.ci95[0]).toBeCloseTo(centre - half, 10);
      expect(v.ci95[1]).toBeCloseTo(centre + half, 10);
    }
  });

  test('measures b against a: uplift, its interval and a two-proportion z-test p-value', async () => {
    const e = await experiment();
    const a = got.a as { entered: number; converted: number };
    const b = got.b as { entered: number; converted: number };
    const p0 = a.converted / a.entered;
    const p1 = b.converted / b.entered;
    const pooled = (a.converted + b.converted) / (a.entered + b.entered);
    const z = (p1 - p0) / Math.sqrt(pooled * (1 - pooled) * (1 / a.entered + 1 / b.entered));
    // z² is chi-squared with one degree of freedom: an independent route to the same tail.
    const pValue = 1 - jStat.chisquare.cdf(z * z, 1);
    const vb = e.variants[1];
    expect(vb.upliftAbsolute).toBeCloseTo(p1 - p0, 12);
    expect(vb.upliftRelative).toBeCloseTo((p1 - p0) / p0, 12);
    const half = Z * Math.sqrt((p1 * (1 - p1)) / b.entered + (p0 * (1 - p0)) / a.entered);
    expect(vb.upliftCi95[0]).toBeCloseTo(p1 - p0 - half, 10);
    expect(vb.upliftCi95[1]).toBeCloseTo(p1 - p0 + half, 10);
    expect(vb.pValue / pValue).toBeCloseTo(1, 5);
    expect(vb.significant).toBe(pValue < 0.05);
    expect(e.test).toMatchObject({ name: 'two-proportion-z', df: null, significant: pValue < 0.05 });
    expect(e.test.statistic).toBeCloseTo(z, 10);
    expect(e.variants[0]).toMatchObject({ upliftAbsolute: null, pValue: null, test: null, significant: false });
  });

  test('says how many contacts per variant a 10 % lift needs', async () => {
    const e = await experiment();
    const a = got.a as { entered: number; converted: number };
    const p0 = a.converted / a.entered;
    const p1 = 1.1 * p0;
    const m = (p0 + p1) / 2;
    const za = jStat.normal.inv(0.975, 0, 1);
    const zb = jStat.normal.inv(0.8, 0, 1);
    const needed = Math.ceil(
      (za * Math.sqrt(2 * m * (1 - m)) + zb * Math.sqrt(p0 * (1 - p0) + p1 * (1 - p1))) ** 2 / (p1 - p0) ** 2,
    );
    expect(e.sample).toEqual({
      lift: 0.1,
      power: 0.8,
      neededPerVariant: needed,
      moreNeededPerVariant: Math.max(0, needed - Math.min(a.entered, (got.b as { entered: number }).entered)),
    });
  });

  test('analytics count entries, outputs and conversions per node from the rollups', async () => {
    const res = await get(`/api/journeys/${journey.journeyId}/analytics?bucket=day`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const converted = (got.a?.converted ?? 0) + (got.b?.converted ?? 0);
    expect(body.runs).toEqual({ started: 2000, converted });
    expect(body.nodes.ab).toEqual({ entered: 2000, completed: 2000, failed: 0, waiting: 0, converted });
    expect(body.outputs.ab).toEqual({
      a: { taken: got.a?.entered, converted: got.a?.converted },
      b: { taken: got.b?.entered, converted: got.b?.converted },
    });
    expect(body.nodes['after-b'].converted).toBe(got.b?.converted);
    const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    expect(body.series.buckets).toHaveLength(8);
    expect(sum(body.series.nodes.ab.entered)).toBe(2000);
    expect(sum(body.series.runs.converted)).toBe(converted);
    expect(body.goal).toEqual({ event: 'purchase', windowSeconds: 3600, exitOnGoal: false });
  });

  test('folding the rollups that writers scattered over shards changes no figure', async () => {
    const before = (await get(`/api/journeys/${journey.journeyId}/analytics?bucket=day`)).json();
    await foldRollups(t.runtime.db); // the worker's heartbeat may have folded some already
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from journey_rollups where journey_id = ${journey.journeyId} and shard <> 0`.execute(
      t.runtime.db,
    );
    expect(rows[0]?.n).toBe(0);
    expect((await get(`/api/journeys/${journey.journeyId}/analytics?bucket=day`)).json()).toEqual(before);
  });

  test('each converted run shows its conversion', async () => {
    const res = await get(`/api/runs?journeyId=${journey.journeyId}&limit=200`);
    const runs = res.json().runs as { conversion: { at: string; eventId: string } | null }[];
    const withConversion = runs.filter((r) => r.conversion !== null);
    expect(withConversion.length).toBeGreaterThan(0);
    expect(withConversion[0]?.conversion).toEqual({ at: expect.any(String), eventId: expect.any(String) });
  });

  test('after the test period the winner is decided once, and every later contact takes it', async () => {
    await sql`update split_tests set started_at = now() - interval '25 hours' where journey_id = ${journey.journeyId}`.execute(
      t.runtime.db,
    );
    await decideDueExperiments(t.runtime.db, new Date());
    expect(await decideDueExperiments(t.runtime.db, new Date())).toBe(0);
    const e = await experiment();
    expect(e.status).toBe('winner');
    expect(e.decision).toMatchObject({
      kind: 'winner',
      variant: 'b',
      method: 'two-proportion-z',
      metric: 'goal',
      clearedAt: null,
    });
    expect(e.decision.figures).toEqual([
      { key: 'a', entered: got.a?.entered, converted: got.a?.converted, rate: e.variants[0].rate },
      { key: 'b', entered: got.b?.entered, converted: got.b?.converted, rate: e.variants[1].rate },
    ]);
    const later = await makeContacts(t, 100);
    await runThrough(t, journey, later);
    const taken = await assignments(t, journey.journeyId, later);
    expect([...taken.values()].every((x) => x.variant === 'b' && x.by === 'winner')).toBe(true);
    const after = await experiment();
    expect(after.routed).toBe(100);
    expect(after.variants.map((v: { entered: number }) => v.entered)).toEqual([got.a?.entered, got.b?.entered]);
  });

  test('an override sends everyone to the chosen variant, and DELETE returns to testing', async () => {
    const url = `/api/journeys/${journey.journeyId}/nodes/ab/winner`;
    const set = await t.app.inject({ method: 'POST', url, headers: t.auth, payload: { variant: 'a' } });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({
      status: 'override',
      decision: { kind: 'override', variant: 'a', method: 'manual' },
    });
    const later = await makeContacts(t, 20);
    await runThrough(t, journey, later);
    const taken = await assignments(t, journey.journeyId, later);
    expect([...taken.values()].every((x) => x.variant === 'a' && x.by === 'override')).toBe(true);

    const cleared = await t.app.inject({ method: 'DELETE', url, headers: t.auth });
    expect(cleared.statusCode).toBe(200);
    const body = cleared.json();
    expect(body).toMatchObject({ status: 'testing', decision: null });
    expect(body.history.map((d: { kind: string }) => d.kind)).toEqual(['winner', 'override']);
    expect(body.history.every((d: { clearedAt: string | null }) => d.clearedAt !== null)).toBe(true);
    expect(new Date(body.endsAt).getTime() - new Date(body.startedAt).getTime()).toBe(86_400_000);
    const again = await t.app.inject({ method: 'DELETE', url, headers: t.auth });
    expect(again.json().startedAt).toBe(body.startedAt);
  });
});

describe('bad input', () => {
  const post = (url: string, payload?: object) =>
    t.app.inject({ method: 'POST', url, headers: t.auth, ...(payload ? { payload } : {}) });

  test('an override names a variant of the node', async () => {
    const url = `/api/journeys/${journey.journeyId}/nodes/ab/winner`;
    const wrong = await post(url, { variant: 'zzz' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '/variant' }] });
  });

  test('an override without a variant names /variant as required', async () => {
    const url = `/api/journeys/${journey.journeyId}/nodes/ab/winner`;
    const none = await post(url, {});
    expect([none.statusCode, none.json().error.code]).toEqual([400, 'validation_failed']);
    expect(none.json().error.details).toEqual([{ path: '/variant', message: 'body/variant is required' }]);
  });

  test('an override sent with no body at all names /variant as required, as an empty one does', async () => {
    const url = `/api/journeys/${journey.journeyId}/nodes/ab/winner`;
    const none = await t.app.inject({ method: 'POST', url, headers: t.auth });
    expect([none.statusCode, none.json().error.code]).toEqual([400, 'validation_failed']);
    expect(none.json().error.details).toEqual([{ path: '/variant', message: 'body/variant is required' }]);
  });

  test('an override with a field the route does not know names that field and decides nothing', async () => {
    const url = `/api/journeys/${journey.journeyId}/nodes/ab/winner`;
    const res = await post(url, { variant: 'b', reason: 'gut feeling' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/reason', message: 'body/reason is not a known field' }],
    });
    expect((await experiment()).decision?.kind).not.toBe('override');
  });

  test('an unknown journey or split node is 404', async () => {
    expect((await post(`/api/journeys/${journey.journeyId}/nodes/after-a/winner`, { variant: 'a' })).statusCode).toBe(
      404,
    );
    expect(
      (await post(`/api/journeys/00000000-0000-4000-8000-000000000000/nodes/ab/winner`, { variant: 'a' })).statusCode,
    ).toBe(404);
    expect((await get('/api/journeys/00000000-0000-4000-8000-000000000000/experiments')).statusCode).toBe(404);
    expect((await get('/api/journeys/00000000-0000-4000-8000-000000000000/analytics')).statusCode).toBe(404);
    expect((await get(`/api/journeys/${journey.journeyId}/analytics?version=9`)).statusCode).toBe(404);
  });

  test('another metric, bucket or an empty or huge range is refused with its path', async () => {
    const metric = await get(`/api/journeys/${journey.journeyId}/experiments?metric=revenue`);
    expect(metric.statusCode).toBe(400);
    expect(metric.json().error.details[0].path).toBe('/metric');
    const cases: [string, string][] = [
      ['bucket=week', '/bucket'],
      ['from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z', '/from'],
      ['from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', '/to'],
      ['from=yesterday', '/from'],
    ];
    for (const [query, path] of cases) {
      const res = await get(`/api/journeys/${journey.journeyId}/analytics?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ path }] });
    }
  });
});
