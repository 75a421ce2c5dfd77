import { beforeAll, describe, expect, test } from 'vitest';
import { api, failedRunOf, withWorkingApp } from '../../failures/support.js';
import type { TestApp } from '../../support/runtime.js';

const working = withWorkingApp();
let t: TestApp;
beforeAll(() => {
  t = working.app();
});

type Entry = {
  actor: Record<string, unknown>;
  action: string;
  object: { type: string; id: string | null };
  details?: Record<string, unknown>;
};
// Every request here is the admin token's.
const TOKEN = { type: 'token', id: expect.any(String), name: 'WAYMARK_API_TOKEN' };
const entriesFor = async (object: string): Promise<Entry[]> =>
  (await api(t, { url: `/api/audit?object=${object}` })).body.entries;

// Routes added after teams.md's list: each is recorded as what it did to the object it names.
describe('the audit log of retries, merges and retention', () => {
  test('retrying a failed run records run.retried on the run', async () => {
    const { runId } = await failedRunOf(t);
    expect((await api(t, { method: 'POST', url: `/api/runs/${runId}/retry`, payload: {} })).status).toBe(200);
    expect(await entriesFor(runId)).toMatchObject([{ actor: TOKEN, action: 'run.retried', object: { id: runId } }]);
  });

  test('a bulk retry records journey.retry_started with its job, never journey.created', async () => {
    const { journeyId } = await failedRunOf(t);
    const started = await api(t, { method: 'POST', url: `/api/journeys/${journeyId}/retry`, payload: {} });
    expect(started.status).toBe(202);
    const [entry] = await entriesFor(journeyId);
    expect(entry).toMatchObject({
      actor: TOKEN,
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
    expect(entry).toMatchObject({ actor: TOKEN, action: 'journey.retry_cancelled', details: { jobId } });
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
      actor: TOKEN,
      action: 'contact.merged',
      object: { type: 'contact', id: keep },
      details: { from: gone },
    });
    expect(unmerged).toMatchObject({ actor: TOKEN, action: 'contact.unmerged', details: { from: gone } });
  });

  test('a merge or unmerge that is refused changes nothing and records nothing', async () => {
    const keep = (await api(t, { method: 'POST', url: '/api/contacts', payload: { email: 'alone@example.com' } })).body
      .id;
    const other = (await api(t, { method: 'POST', url: '/api/contacts', payload: { email: 'other@example.com' } })).body
      .id;
    const self = await api(t, { method: 'POST', url: `/api/contacts/${keep}/merge`, payload: { from: keep } });
    expect(self.status).toBe(409);
    // Never merged, so there is nothing to undo.
    const undo = await api(t, { method: 'POST', url: `/api/contacts/${keep}/unmerge`, payload: { from: other } });
    expect(undo.status).toBe(404);
    expect(await entriesFor(keep)).toMatchObject([{ action: 'contact.created' }]);
  });

  test('enforcing retention records retention.enforced with its cutoffs, not settings.updated', async () => {
    const res = await api(t, { method: 'POST', url: '/api/settings/retention/enforce' });
    expect(res.status).toBe(200);
    const [entry] = (await api(t, { url: '/api/audit?limit=1' })).body.entries as Entry[];
    expect(entry).toMatchObject({ actor: TOKEN, action: 'retention.enforced', details: { cutoffs: res.body.cutoffs } });
  });
});
