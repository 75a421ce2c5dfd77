import { beforeAll, describe, expect, test } from 'vitest';
import { api, failedRunOf, withWorkingApp } from '../failures/support.js';
import type { TestApp } from '../support/runtime.js';

const working = withWorkingApp();
let t: TestApp;
beforeAll(() => {
  t = working.app();
});

type Entry = { action: string; object: { type: string; id: string | null }; details?: Record<string, unknown> };
const entriesFor = async (object: string): Promise<Entry[]> =>
  (await api(t, { url: `/api/audit?object=${object}` })).body.entries;

// Routes added after teams.md's list: each is recorded as what it did to the object it names.
describe('the audit log of retries, merges and retention', () => {
  test('retrying a failed run records run.retried on the run', async () => {
    const { runId } = await failedRunOf(t);
    expect((await api(t, { method: 'POST', url: `/api/runs/${runId}/retry`, payload: {} })).status).toBe(200);
    expect((await entriesFor(runId)).map((e) => e.action)).toEqual(['run.retried']);
  });

  test('a bulk retry records journey.retry_started with its job, never journey.created', async () => {
    const { journeyId } = await failedRunOf(t);
    const started = await api(t, { method: 'POST', url: `/api/journeys/${journeyId}/retry`, payload: {} });
    expect(started.status).toBe(202);
    const [entry] = await entriesFor(journeyId);
    expect(entry).toMatchObject({
      action: 'journey.retry_started',
      object: { type: 'journey', id: journeyId },
      details: { jobId: started.body.jobId, matched: 1 },
    });
  });

  test('a dry-run bulk retry changes nothing and records nothing', async () => {
    const { journeyId } = await failedRunOf(t);
    const before = await entriesFor(journeyId);
    const dry = await api(t, { method: 'POST', url: `/api/journeys/${journeyId}/retry`, payload: { dryRun: true } });
    expect(dry.status).toBe(200);
    expect(await entriesFor(journeyId)).toEqual(before);
  });

  test('cancelling a bulk retry records journey.retry_cancelled naming the job', async () => {
    const { journeyId } = await failedRunOf(t);
    await working.stopWorker();
    const { jobId } = (await api(t, { method: 'POST', url: `/api/journeys/${journeyId}/retry`, payload: {} })).body;
    const cancelled = await api(t, { method: 'POST', url: `/api/journeys/${journeyId}/retry/${jobId}/cancel` });
    await working.startWorker();
    expect(cancelled.status).toBe(200);
    const [entry] = await entriesFor(journeyId);
    expect(entry).toMatchObject({ action: 'journey.retry_cancelled', details: { jobId } });
  });

  test('merging and unmerging contacts record contact.merged and contact.unmerged on the survivor', async () => {
    const keep = (await api(t, { method: 'POST', url: '/api/contacts', payload: { email: 'keep@example.com' } })).body
      .id;
    const gone = (await api(t, { method: 'POST', url: '/api/contacts', payload: { phone: '+14155550123' } })).body.id;
    const merge = (verb: string) =>
      api(t, { method: 'POST', url: `/api/contacts/${keep}/${verb}`, payload: { from: gone } });
    expect((await merge('merge')).status).toBe(200);
    expect((await merge('unmerge')).status).toBe(200);
    const [unmerged, merged] = await entriesFor(keep);
    expect(merged).toMatchObject({
      action: 'contact.merged',
      object: { type: 'contact', id: keep },
      details: { from: gone },
    });
    expect(unmerged).toMatchObject({ action: 'contact.unmerged', details: { from: gone } });
  });

  test('enforcing retention records retention.enforced with its cutoffs, not settings.updated', async () => {
    const res = await api(t, { method: 'POST', url: '/api/settings/retention/enforce' });
    expect(res.status).toBe(200);
    const [entry] = (await api(t, { url: '/api/audit?limit=1' })).body.entries as Entry[];
    expect(entry).toMatchObject({ action: 'retention.enforced', details: { cutoffs: res.body.cutoffs } });
  });
});
