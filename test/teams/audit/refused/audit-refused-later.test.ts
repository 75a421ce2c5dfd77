import { beforeAll, describe, expect, test } from 'vitest';
import { failedRunOf, withWorkingApp } from '../../../failures/support.js';
import type { TestApp } from '../../../support/runtime.js';
import { caller, expectRefused, whileAuditRefused } from '../audit-refusal.js';

// teams.md "Audit log": every successful change is appended in the same transaction as the
// change. A merge, an unmerge, a run's retry or a bulk retry whose entry cannot be written is
// not made.

const working = withWorkingApp();
let t: TestApp;
beforeAll(() => {
  t = working.app();
});

const call = (...args: Parameters<ReturnType<typeof caller>>) => caller(t)(...args);
const contact = async (payload: object) => ((await call('POST', '/api/contacts', payload)).json() as { id: string }).id;
const mergedInto = async (id: string) =>
  (await t.runtime.db.selectFrom('contacts').select('merged_into').where('id', '=', id).executeTakeFirstOrThrow())
    .merged_into;

describe('merges and retries whose change cannot be recorded', () => {
  test('a merge answers 500 and both contacts stay apart', async () => {
    const keep = await contact({ email: 'keep@example.com' });
    const gone = await contact({ phone: '+14155550123' });
    expectRefused(await whileAuditRefused(t, () => call('POST', `/api/contacts/${keep}/merge`, { from: gone })));
    expect(await mergedInto(gone)).toBeNull();
  });

  test('an unmerge answers 500 and the contact stays merged', async () => {
    const keep = await contact({ email: 'survivor@example.com' });
    const gone = await contact({ phone: '+14155550124' });
    expect((await call('POST', `/api/contacts/${keep}/merge`, { from: gone })).statusCode).toBe(200);
    expectRefused(await whileAuditRefused(t, () => call('POST', `/api/contacts/${keep}/unmerge`, { from: gone })));
    expect(await mergedInto(gone)).toBe(keep);
  });

  test("a run's retry answers 500 and the run stays failed", async () => {
    const { runId } = await failedRunOf(t);
    await working.stopWorker();
    try {
      expectRefused(await whileAuditRefused(t, () => call('POST', `/api/runs/${runId}/retry`, {})));
      expect(((await call('GET', `/api/runs/${runId}`)).json() as { status: string }).status).toBe('failed');
    } finally {
      await working.startWorker();
    }
  });

  test('a bulk retry answers 500 and makes no job', async () => {
    const { journeyId } = await failedRunOf(t);
    await working.stopWorker();
    try {
      expectRefused(await whileAuditRefused(t, () => call('POST', `/api/journeys/${journeyId}/retry`, {})));
      const { jobs } = (await call('GET', `/api/journeys/${journeyId}/retry`)).json() as { jobs: unknown[] };
      expect(jobs).toEqual([]);
    } finally {
      await working.startWorker();
    }
  });

  test('cancelling a bulk retry answers 500 and the job goes on', async () => {
    const { journeyId } = await failedRunOf(t);
    await working.stopWorker();
    try {
      const { jobId } = (await call('POST', `/api/journeys/${journeyId}/retry`, {})).json() as { jobId: string };
      const url = `/api/journeys/${journeyId}/retry/${jobId}`;
      expectRefused(await whileAuditRefused(t, () => call('POST', `${url}/cancel`)));
      expect(((await call('GET', url)).json() as { status: string }).status).toBe('running');
    } finally {
      await working.startWorker();
    }
  });
});
