import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runBulkRetry } from '../../../engine/runs/failures/bulk-retry.js';
import { e, n, publish, testPackage } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { api } from '../support.js';

// contracts/failures.md "Retrying runs": a bulk retry of 10,000 failed runs re-queues them all
// within 60 s. No worker runs here, so the retried steps stay queued where the test can count them.

const RUNS = 10_000;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
});
afterAll(async () => {
  await t?.close();
});

/** 10,000 runs failed at `fail`, each with its trigger step and failed step, written set-based. */
async function failedRuns(j: { journeyId: string; version: number }): Promise<void> {
  const error = { code: 'http.status-503', message: 'answered 503', attempts: 5, retryable: true };
  await sql`
    with r as (
      insert into runs (journey_id, version, contact_id, trigger, trigger_node_id, status, ended_at, open_steps, failure)
      select ${j.journeyId}::uuid, ${j.version}::int, null, jsonb_build_object('i', i), 't', 'failed',
        now() - interval '1 minute', 0,
        jsonb_build_object('nodeId', 'fail', 'error', ${JSON.stringify(error)}::jsonb, 'at', now() - interval '1 minute')
      from generate_series(1, ${RUNS}::int) i
      returning id
    ), trig as (
      insert into steps (run_id, journey_id, version, node_id, status, outputs_taken, attempts, started_at, finished_at)
      select r.id, ${j.journeyId}::uuid, ${j.version}::int, 't', 'completed', array['out'], 1, now(), now() from r
      returning id, run_id
    )
    insert into steps (run_id, journey_id, version, node_id, parent_step_id, status, error, attempts, started_at, finished_at)
    select trig.run_id, ${j.journeyId}::uuid, ${j.version}::int, 'fail', trig.id, 'failed', ${JSON.stringify(error)}::jsonb,
      5, now(), now() - interval '1 minute'
    from trig`.execute(t.runtime.db);
}

describe('a bulk retry of 10,000 failed runs', () => {
  test('re-queues every run within 60 s, each once', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('fail', 'tst.step'), n('after', 'tst.step')],
      edges: [e('t', 'fail'), e('fail', 'after')],
    });
    await failedRuns(j);
    const dry = await api(t, { method: 'POST', url: `/api/journeys/${j.journeyId}/retry`, payload: { dryRun: true } });
    expect(dry).toEqual({ status: 200, body: { matched: RUNS } });

    const startedAt = Date.now();
    const created = await api(t, { method: 'POST', url: `/api/journeys/${j.journeyId}/retry`, payload: {} });
    expect(created.status).toBe(202);
    expect(created.body.matched).toBe(RUNS);
    await runBulkRetry(t.runtime.db, created.body.jobId);
    const seconds = (Date.now() - startedAt) / 1000;

    const job = await api(t, { url: `/api/journeys/${j.journeyId}/retry/${created.body.jobId}` });
    expect(job.body).toMatchObject({ status: 'completed', matched: RUNS, retried: RUNS, skipped: 0 });
    expect(job.body.runs.running).toBe(RUNS);
    // One new step per run at the failed node, each in a queued job (batches of one node's steps).
    const { rows } = await sql<{ steps: number; queued: number }>`
      with s as (
        select id from steps where journey_id = ${j.journeyId}::uuid and node_id = 'fail' and status = 'pending'
      )
      select (select count(*) from s)::int as steps,
        (select count(*) from graphile_worker._private_jobs job
          join graphile_worker._private_tasks k on k.id = job.task_id
          cross join json_array_elements(job.payload) p
          where k.identifier = 'waymark.step' and (p ->> 'stepId')::uuid in (select id from s))::int as queued
    `.execute(t.runtime.db);
    expect(rows[0]).toEqual({ steps: RUNS, queued: RUNS });
    expect(seconds).toBeLessThan(60);
  }, 120_000);
});
