import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRunsForContacts } from '../../engine/runs/entry/start.js';
import type { TestApp } from '../support/runtime.js';
import { e, experimentsAppWithWorker, makeContacts, n, publish, runThrough } from './support.js';

// API.md "Analytics": without `version` the counts cover every version together, and
// `runs.started` counts the runs started, whatever each version named its trigger node.
let t: TestApp;
beforeAll(async () => {
  t = await experimentsAppWithWorker();
});
afterAll(async () => {
  await t?.close();
});

const analytics = async (journeyId: string, query = '') => {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/journeys/${journeyId}/analytics?bucket=day${query}`,
    headers: t.auth,
  });
  expect(res.statusCode).toBe(200);
  return res.json();
};
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

describe('runs started over every version', () => {
  test('counts the runs of a version whose trigger node had another id', async () => {
    // Version 1 starts at "t"; version 2 renames its trigger "start" and gives "t" to an action.
    const v1 = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('x', 'tst.step')],
      edges: [e('t', 'x')],
    });
    await runThrough(t, v1, await makeContacts(t, 3));
    const graph2 = { nodes: [n('start', 'tst.trigger'), n('t', 'tst.step')], edges: [e('start', 't')] };
    const v2 = await publish(t.runtime.db, graph2, {}, v1.journeyId);
    const later = await makeContacts(t, 2);
    await t.runtime.db
      .transaction()
      .execute((trx) => startRunsForContacts(trx, { ...v2, triggerNodeId: 'start', contactIds: later }));
    // Both versions' steps at "t" are counted (3 triggers, then 2 actions): every run is in.
    await expect.poll(async () => (await analytics(v1.journeyId)).nodes.t.entered, { timeout: 20_000 }).toBe(5);
    const all = await analytics(v1.journeyId);
    expect(all.runs.started).toBe(5);
    expect(sum(all.series.runs.started)).toBe(5);
    expect((await analytics(v1.journeyId, '&version=1')).runs.started).toBe(3);
    expect((await analytics(v1.journeyId, '&version=2')).runs.started).toBe(2);
  });
});
