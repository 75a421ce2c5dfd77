import { beforeAll, expect, test } from 'vitest';
import { e, n, runEnds } from '../../engine/support.js';
import type { TestApp } from '../../support/runtime.js';
import { api, publishAgain, publishJourney, start, withWorkingApp } from '../support.js';

// contracts/failures.md "Retrying runs": a bulk retry's `nodes` names nodes of the journey. One
// no version of it has is a typo, which would select no run and say nothing: 400, no job.

const working = withWorkingApp();
let t: TestApp;
beforeAll(() => {
  t = working.app();
});

/** A journey trigger → fail (throws a final NodeError) with one run failed at `fail`. */
async function failedRun() {
  const j = await publishJourney(t, {
    nodes: [n('t', 'tst.trigger'), n('fail', 'tst.flaky', { final: true })],
    edges: [e('t', 'fail')],
  });
  const runId = await start(t, j);
  expect((await runEnds(t.runtime.db, runId)).run.status).toBe('failed');
  return { ...j, runId };
}

const retry = (journeyId: string, payload: object) =>
  api(t, { method: 'POST', url: `/api/journeys/${journeyId}/retry`, payload });

test('a dry run naming a node no version of the journey has answers 400 naming it', async () => {
  const { journeyId } = await failedRun();
  const res = await retry(journeyId, { nodes: ['fial'], dryRun: true });
  expect(res.status).toBe(400);
  expect(res.body.error).toMatchObject({
    code: 'validation_failed',
    message: 'no version of the journey has a node fial',
    details: [{ path: '/nodes/0', message: 'no version of the journey has a node fial' }],
  });
});

test('a retry naming unknown nodes answers 400 with a detail per unknown node, starts no job and leaves the run failed', async () => {
  const { journeyId, runId } = await failedRun();
  const res = await retry(journeyId, { nodes: ['fail', 'fial', 'typo'] });
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('validation_failed');
  expect(res.body.error.details).toEqual([
    { path: '/nodes/1', message: 'no version of the journey has a node fial' },
    { path: '/nodes/2', message: 'no version of the journey has a node typo' },
  ]);
  expect((await api(t, { url: `/api/journeys/${journeyId}/retry` })).body.jobs).toEqual([]);
  expect((await api(t, { url: `/api/runs/${runId}` })).body.status).toBe('failed');
});

test('a node only an older version has is valid: its runs that failed there are retried', async () => {
  const { journeyId } = await failedRun();
  await publishAgain(t, journeyId, {
    nodes: [n('t', 'tst.trigger'), n('other', 'tst.step')],
    edges: [e('t', 'other')],
  });
  expect((await retry(journeyId, { nodes: ['fail'], dryRun: true })).body).toEqual({ matched: 1 });
  const queued = await retry(journeyId, { nodes: ['fail'] });
  expect(queued.status).toBe(202);
  expect(queued.body.matched).toBe(1);
});

test('nodes or codes given as an empty list filter nothing, as when left out (server/README.md)', async () => {
  const { journeyId } = await failedRun();
  expect((await retry(journeyId, { nodes: [], codes: [], dryRun: true })).body).toEqual({ matched: 1 });
});
