import { afterAll, beforeAll, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { e, eventually, n, runEnds, testPackage } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { api, publishJourney, type StandIn, standIn, start } from './support.js';

// failures.md "Step errors": a step error's message is for people, never a credential. A URL
// carries them in its user and password and in its query values, and http.request names the
// URL it called when it fails.

let t: TestApp;
let worker: WorkerHandle;
let crm: StandIn;
let watcher: { journeyId: string; version: number };

beforeAll(async () => {
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 50 } });
  crm = await standIn();
  watcher = await publishJourney(
    t,
    { nodes: [n('t', 'core.run-failed', {}), n('seen', 'tst.step')], edges: [e('t', 'seen')] },
    'Watch failures',
  );
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await crm?.close();
});

/** Runs trigger → call (http.request to `url`, one attempt) to its failure; returns the run as the API shows it. */
async function failedCall(url: string) {
  const call = { ...n('call', 'http.request', { method: 'POST', url }), settings: { retry: { attempts: 1 } } };
  const j = await publishJourney(t, { nodes: [n('t', 'tst.trigger'), call], edges: [e('t', 'call')] });
  const runId = await start(t, j);
  expect((await runEnds(t.runtime.db, runId)).run.status).toBe('failed');
  return { ...j, run: (await api(t, { url: `/api/runs/${runId}` })).body };
}

test('a failed call names its URL without user, password or query values, wherever its error shows', async () => {
  const url = crm.url.replace('http://', 'http://user:s3cretpw@');
  const { journeyId, run } = await failedCall(`${url}/s/500?token=t0ken&page=2`);
  const message = `POST ${crm.url.replace('http://', 'http://***@')}/s/500?token=***&page=*** answered 500`;

  expect(run.steps.find((s: { nodeId: string }) => s.nodeId === 'call').error.message).toBe(message);
  expect(run.failure.error).toMatchObject({ code: 'http.status-500', message });
  const { body: view } = await api(t, { url: `/api/journeys/${journeyId}/failures` });
  expect(view.groups[0].sample.error.message).toBe(message);
  const alert = await eventually(async () => {
    const { body } = await api(t, { url: `/api/runs?journeyId=${watcher.journeyId}` });
    return body.runs.find((r: { trigger: { runId: string } }) => r.trigger.runId === run.id);
  });
  expect(alert.trigger.error.message).toBe(message);
  expect(JSON.stringify([run, view, alert])).not.toMatch(/s3cretpw|t0ken/);
});

test('a URL that does not parse is named without what may be its credentials', async () => {
  const { run } = await failedCall('http://user:s3cretpw@127.0.0.1:99999/s?token=t0ken');
  expect(run.failure.error).toMatchObject({
    code: 'http.invalid-url',
    message: '"http://***@127.0.0.1:99999/s?token=***" is not a URL',
  });
});
