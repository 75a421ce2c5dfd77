import { beforeAll, describe, expect, test } from 'vitest';
import { e, n, runEnds } from '../engine/support.js';
import type { TestApp } from '../support/runtime.js';
import { api, failing, publishAgain, publishJourney, start, withWorkingApp } from './support.js';

// contracts/failures.md "Failures view": `version` and `from`/`to` (failure time) narrow it,
// and a bulk retry's `from`/`to` select the same runs.

const working = withWorkingApp();
let t: TestApp;
beforeAll(() => {
  t = working.app();
});

const pause = () => new Promise((r) => setTimeout(r, 20));

/** A journey with one run failed at `fail` on version 1, then (after `between`) two at `fail2` on version 2. */
async function failuresOnTwoVersions() {
  const j = await publishJourney(t, failing());
  await runEnds(t.runtime.db, await start(t, j));
  await pause();
  const between = new Date().toISOString();
  await pause();
  const v2 = await publishAgain(t, j.journeyId, {
    nodes: [n('t', 'tst.trigger'), n('fail2', 'tst.flaky', { final: true })],
    edges: [e('t', 'fail2')],
  });
  for (let i = 0; i < 2; i++) await runEnds(t.runtime.db, await start(t, v2));
  return { journeyId: j.journeyId, between };
}

describe('GET /api/journeys/:id/failures', () => {
  let journey: { journeyId: string; between: string };
  beforeAll(async () => {
    journey = await failuresOnTwoVersions();
  });
  const view = async (query = '') =>
    (await api(t, { url: `/api/journeys/${journey.journeyId}/failures${query}` })).body;

  test('groups the runs failed now by node and code, largest first, with each node’s count', async () => {
    const body = await view();
    expect(body).toMatchObject({ total: 3, nodes: { fail: 1, fail2: 2 } });
    expect(body.groups.map((g: { nodeId: string; count: number }) => [g.nodeId, g.count])).toEqual([
      ['fail2', 2],
      ['fail', 1],
    ]);
  });

  test('version narrows it to the runs of that version', async () => {
    expect(await view('?version=1')).toMatchObject({ total: 1, nodes: { fail: 1 } });
    expect(await view('?version=2')).toMatchObject({ total: 2, nodes: { fail2: 2 } });
  });

  test('from and to narrow it by failure time, to excluded', async () => {
    expect((await view(`?to=${journey.between}`)).nodes).toEqual({ fail: 1 });
    expect((await view(`?from=${journey.between}`)).nodes).toEqual({ fail2: 2 });
    const { groups } = await view();
    const last = groups[0].lastAt;
    expect((await view(`?from=${last}&to=${last}`)).total).toBe(0);
  });

  test('a bulk retry’s from and to select the runs the view shows for them', async () => {
    const dryRun = async (payload: object) =>
      (
        await api(t, {
          method: 'POST',
          url: `/api/journeys/${journey.journeyId}/retry`,
          payload: { ...payload, dryRun: true },
        })
      ).body;
    expect(await dryRun({ to: journey.between })).toEqual({ matched: 1 });
    expect(await dryRun({ from: journey.between })).toEqual({ matched: 2 });
  });
});
