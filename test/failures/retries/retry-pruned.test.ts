import { sql } from 'kysely';
import { beforeAll, describe, expect, test } from 'vitest';
import { eventually, runEnds } from '../../engine/support.js';
import type { TestApp } from '../../support/runtime.js';
import { api, failedRunOf, failing, publishJourney, start, withWorkingApp } from '../support.js';

// contracts/operations.md "Retention" deletes the steps of runs that ended longer ago than
// `steps`, failed runs too. Such a run is still failed (its `failure` stays), but its failed
// step, the key a retry sends under and the tokens it would resume are gone: no retry takes it up.

const working = withWorkingApp();
let t: TestApp;
beforeAll(async () => {
  t = working.app();
  expect((await api(t, { method: 'PUT', url: '/api/settings/retention', payload: { steps: 'P1D' } })).status).toBe(200);
});

/** A failed run whose steps retention removed: it ended three days ago, past `steps` (P1D). */
async function prunedRun(journey?: { journeyId: string; version: number }) {
  const runId = journey ? await start(t, journey) : (await failedRunOf(t)).runId;
  if (journey) expect((await runEnds(t.runtime.db, runId)).run.status).toBe('failed');
  await sql`update runs set started_at = now() - interval '3 days', ended_at = now() - interval '3 days'
    where id = ${runId}::uuid`.execute(t.runtime.db);
  expect((await api(t, { method: 'POST', url: '/api/settings/retention/enforce' })).status).toBe(200);
  const { body: run } = await api(t, { url: `/api/runs/${runId}` });
  expect(run).toMatchObject({ status: 'failed', steps: [], failure: { nodeId: 'fail' } });
  return { runId, journeyId: run.journeyId as string };
}

describe('a failed run whose steps retention removed', () => {
  test('stays in the failures view, as every failed run does', async () => {
    const { runId, journeyId } = await prunedRun();
    const { body } = await api(t, { url: `/api/journeys/${journeyId}/failures` });
    expect(body).toMatchObject({ total: 1, nodes: { fail: 1 }, groups: [{ sample: { runId } }] });
  });

  test('cannot be retried: 409 conflict naming retention, the run left failed', async () => {
    const { runId } = await prunedRun();
    const res = await api(t, { method: 'POST', url: `/api/runs/${runId}/retry` });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'conflict', message: expect.stringContaining('retention') });
    expect((await api(t, { url: `/api/runs/${runId}` })).body).toMatchObject({ status: 'failed', steps: [] });
  });

  test('is not counted by a bulk dry run, which counts only the runs a retry can take up', async () => {
    const journey = await publishJourney(t, failing());
    await prunedRun(journey);
    expect((await runEnds(t.runtime.db, await start(t, journey))).run.status).toBe('failed');
    const res = await api(t, {
      method: 'POST',
      url: `/api/journeys/${journey.journeyId}/retry`,
      payload: { dryRun: true },
    });
    expect(res).toEqual({ status: 200, body: { matched: 1 } });
  });

  test('is not selected by a bulk retry: its job matches and retries the others, skipping none', async () => {
    const journey = await publishJourney(t, failing());
    const pruned = await prunedRun(journey);
    expect((await runEnds(t.runtime.db, await start(t, journey))).run.status).toBe('failed');
    const created = await api(t, { method: 'POST', url: `/api/journeys/${journey.journeyId}/retry`, payload: {} });
    expect(created).toEqual({ status: 202, body: { jobId: expect.any(String), matched: 1 } });
    const job = await eventually(async () => {
      const { body } = await api(t, { url: `/api/journeys/${journey.journeyId}/retry/${created.body.jobId}` });
      return body.status === 'completed' ? body : undefined;
    });
    expect(job).toMatchObject({ matched: 1, retried: 1, skipped: 0 });
    expect((await api(t, { url: `/api/runs/${pruned.runId}` })).body).toMatchObject({ status: 'failed', steps: [] });
  });
});
