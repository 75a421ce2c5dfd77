import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createJourney } from '../api/journeys/support.js';
import type { TestApp } from '../support/runtime.js';
import { experimentsApp, GOAL, publish, splitGraph } from './support.js';

// API.md "Experiments" for splits nobody has reached yet: what a client sees before any figure.
let t: TestApp;
beforeAll(async () => {
  t = await experimentsApp();
});
afterAll(async () => {
  await t?.close();
});

const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });
const experimentsOf = async (journeyId: string, query = '') => {
  const res = await call('GET', `/api/journeys/${journeyId}/experiments${query}`);
  expect(res.statusCode).toBe(200);
  return res.json().experiments;
};
const AB = [
  { key: 'a', weight: 50 },
  { key: 'b', weight: 50 },
];

/** A journey published through the API whose split `ab` was saved without variants (params `{}`). */
async function publishedWithDefaultVariants(): Promise<string> {
  const graph = splitGraph(AB);
  const split = graph.nodes.find((node) => node.id === 'ab');
  if (split) split.params = {};
  const id = await createJourney(t, { name: 'Default variants', graph });
  expect((await call('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
  return id;
}

describe('experiments before anyone reaches the split', () => {
  test('an unpublished journey has none', async () => {
    const id = await createJourney(t, { name: 'Draft only', graph: splitGraph(AB) });
    const res = await call('GET', `/api/journeys/${id}/experiments`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ journeyId: id, experiments: [] });
  });

  test('a fresh split is testing with no figures, interval, test or sample size yet', async () => {
    const { journeyId } = await publish(t.runtime.db, splitGraph(AB), {});
    const [e] = await experimentsOf(journeyId);
    expect(e).toMatchObject({
      nodeId: 'ab',
      baseline: 'a',
      confidence: 0.95,
      status: 'testing',
      startedAt: null,
      endsAt: null,
      winner: null,
      decision: null,
      history: [],
      routed: 0,
      test: { statistic: null, pValue: null, significant: false },
      sample: { lift: 0.1, power: 0.8, neededPerVariant: null, moreNeededPerVariant: null },
    });
    const empty = { entered: 0, converted: 0, rate: null, ci95: null, upliftAbsolute: null, upliftRelative: null };
    expect(e.variants).toEqual([
      { key: 'a', weight: 50, ...empty, upliftCi95: null, test: null, pValue: null, significant: false },
      { key: 'b', weight: 50, ...empty, upliftCi95: null, test: 'two-proportion-z', pValue: null, significant: false },
    ]);
  });

  test('names the test the variants will take: two-proportion z for two variants, chi-squared for more', async () => {
    const two = await publish(t.runtime.db, splitGraph(AB), {});
    expect((await experimentsOf(two.journeyId))[0].test).toEqual({
      name: 'two-proportion-z',
      statistic: null,
      df: null,
      pValue: null,
      significant: false,
    });
    const three = await publish(t.runtime.db, splitGraph([...AB, { key: 'c', weight: 0 }]), {});
    expect((await experimentsOf(three.journeyId))[0].test).toMatchObject({ name: 'chi-squared', pValue: null });
  });

  test('a split saved without variants shows the default ones it splits by, a and b at 50 each', async () => {
    const id = await publishedWithDefaultVariants();
    const [e] = await experimentsOf(id);
    expect(e).toMatchObject({ nodeId: 'ab', baseline: 'a', status: 'testing', winner: null });
    expect(e.variants.map((v: { key: string; weight: number }) => [v.key, v.weight])).toEqual([
      ['a', 50],
      ['b', 50],
    ]);
    const override = await call('POST', `/api/journeys/${id}/nodes/ab/winner`, { variant: 'b' });
    expect(override.statusCode).toBe(200);
    expect(override.json().decision).toMatchObject({ kind: 'override', variant: 'b' });
  });

  test('an override on a split saved without variants stands when the journey is published again', async () => {
    const id = await publishedWithDefaultVariants();
    expect((await call('POST', `/api/journeys/${id}/nodes/ab/winner`, { variant: 'b' })).statusCode).toBe(200);
    expect((await call('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
    const [e] = await experimentsOf(id);
    expect(e).toMatchObject({ status: 'override', decision: { kind: 'override', variant: 'b', clearedAt: null } });
  });

  test('the metric is the query’s, else the winner’s, else goal with a journey goal, else click', async () => {
    const plain = await publish(t.runtime.db, splitGraph(AB), {});
    expect((await experimentsOf(plain.journeyId))[0].metric).toBe('click');
    expect((await experimentsOf(plain.journeyId, '?metric=open'))[0].metric).toBe('open');
    const withGoal = await publish(t.runtime.db, splitGraph(AB), { goal: GOAL });
    expect((await experimentsOf(withGoal.journeyId))[0].metric).toBe('goal');
    const byOpens = await publish(t.runtime.db, splitGraph(AB, { metric: 'open', after: 'P1D' }), { goal: GOAL });
    expect((await experimentsOf(byOpens.journeyId))[0]).toMatchObject({ metric: 'open', confidence: 0.95 });
  });

  test('control is the baseline wherever it stands, and an override may choose it', async () => {
    const variants = [
      { key: 'b', weight: 50 },
      { key: 'control', weight: 50 },
    ];
    const { journeyId } = await publish(t.runtime.db, splitGraph(variants), {});
    expect((await experimentsOf(journeyId))[0].baseline).toBe('control');
    const res = await call('POST', `/api/journeys/${journeyId}/nodes/ab/winner`, { variant: 'control' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'override',
      decision: { kind: 'override', variant: 'control', method: 'manual', pValue: null, clearedAt: null },
    });
  });

  test('an archived journey’s experiment is read, but its winner is no longer picked or cleared: 409', async () => {
    const { journeyId } = await publish(t.runtime.db, splitGraph(AB), {});
    const url = `/api/journeys/${journeyId}/nodes/ab/winner`;
    expect((await call('POST', url, { variant: 'b' })).statusCode).toBe(200);
    expect((await call('DELETE', `/api/journeys/${journeyId}`)).statusCode).toBe(204);
    for (const res of [await call('POST', url, { variant: 'a' }), await call('DELETE', url)]) {
      expect(res.statusCode).toBe(409);
      expect(res.json().error).toMatchObject({
        code: 'conflict',
        message: `journey ${journeyId} is archived: it can be read but no longer changed`,
      });
    }
    expect((await experimentsOf(journeyId))[0]).toMatchObject({
      status: 'override',
      decision: { kind: 'override', variant: 'b' },
      history: [{ variant: 'b' }],
    });
  });

  test('DELETE …/winner starts a new test period once; repeating it changes nothing', async () => {
    const { journeyId } = await publish(t.runtime.db, splitGraph(AB, { metric: 'click', after: 'PT1H' }), {});
    const url = `/api/journeys/${journeyId}/nodes/ab/winner`;
    await call('POST', url, { variant: 'b' });
    const cleared = await call('DELETE', url);
    expect(cleared.statusCode).toBe(200);
    const body = cleared.json();
    expect(body).toMatchObject({ status: 'testing', decision: null, history: [{ kind: 'override', variant: 'b' }] });
    expect(body.history[0].clearedAt).toEqual(expect.any(String));
    expect(new Date(body.endsAt).getTime() - new Date(body.startedAt).getTime()).toBe(3_600_000);
    const again = (await call('DELETE', url)).json();
    expect(again).toMatchObject({ status: 'testing', startedAt: body.startedAt, history: body.history });
  });
});
