import { beforeAll, expect, test } from 'vitest';
import type { TestApp } from '../../support/runtime.js';
import { api, failedRunOf, withWorkingApp } from '../support.js';

// contracts/failures.md "Retrying runs": `GET /api/journeys/:id/retry` → { jobs }, newest first, at most 100.

const working = withWorkingApp();
let t: TestApp;
beforeAll(() => {
  t = working.app();
});

test('the job list holds the newest 100 jobs, newest first', async () => {
  const { journeyId } = await failedRunOf(t);
  const url = `/api/journeys/${journeyId}/retry`;
  const made: string[] = [];
  // Filters that select nothing: each POST still makes a job.
  for (let i = 0; i < 101; i++) {
    const res = await api(t, { method: 'POST', url, payload: { codes: [`none.${i}`] } });
    expect(res.status).toBe(202);
    made.push(res.body.jobId);
  }
  const { status, body } = await api(t, { url });
  expect(status).toBe(200);
  expect(body.jobs.map((j: { id: string }) => j.id)).toEqual(made.slice(1).reverse());
});
