import { afterAll, beforeAll, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, eventually, n } from '../../engine/support.js';
import { api } from '../../failures/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type StandIn, startStandIn } from '../stand-in.js';

// NODES.md (contracts/sending.md) "Step error codes": `provider.rejected` is "any other 4xx, or
// a provider error code refusing the message (the message names it, e.g. Postmark ErrorCode 406)".

const SECRET = 'a-secret-of-16-chars';
let t: TestApp;
let postmark: StandIn;
let worker: WorkerHandle;

/** Postmark's answer to a send to an address it keeps inactive (postmarkapp.com, API error codes). */
const inactive = {
  status: 422,
  body: {
    ErrorCode: 406,
    Message:
      'You tried to send to a recipient that has been marked as inactive. Found inactive addresses: gone@example.org.',
  },
};

beforeAll(async () => {
  postmark = await startStandIn(() => inactive);
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  worker = await startWorker(t.runtime, { pollInterval: 100 });
});
afterAll(async () => {
  await worker.stop();
  await t.close();
  await postmark.close();
});

/** A run of webhook → email.send through a Postmark server that refuses the recipient; once ended. */
async function refusedRun() {
  const credential = await api(t, {
    method: 'POST',
    url: '/api/credentials',
    payload: { name: 'Postmark', type: 'postmark.server', data: { serverToken: 'pm-token', endpoint: postmark.url } },
  });
  const mail = n('mail', 'email.send', {
    from: 'News <news@example.com>',
    subject: 'Spring sale',
    html: '<p>Hi</p>',
    category: 'marketing',
    credential: credential.body.id,
  });
  const graph = { nodes: [n('hook', 'core.webhook', { secret: SECRET }), mail], edges: [e('hook', 'mail')] };
  const created = await api(t, { method: 'POST', url: '/api/journeys', payload: { name: 'Sale', graph } });
  await api(t, { method: 'POST', url: `/api/journeys/${created.body.id}/publish` });
  const entered = await t.app.inject({
    method: 'POST',
    url: `/hooks/${created.body.id}/hook`,
    headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
    payload: { email: 'gone@example.org' },
  });
  const runId = entered.json().runId as string;
  return eventually(async () => {
    const run = await api(t, { url: `/api/runs/${runId}` });
    return run.body.status === 'running' ? undefined : run.body;
  }, 20_000);
}

test('Postmark ErrorCode 406 (inactive recipient) fails the step provider.rejected, not retried, naming the code', async () => {
  const run = await refusedRun();
  expect(run.status).toBe('failed');
  const step = run.steps.find((s: { nodeId: string }) => s.nodeId === 'mail');
  expect(step).toMatchObject({ status: 'failed', error: { code: 'provider.rejected', retryable: false } });
  expect(step.error.message).toMatch(/ErrorCode 406/);
});

test('the refused message is failed in the message log, its error naming ErrorCode 406', async () => {
  const run = await refusedRun();
  const { messages } = (await api(t, { url: `/api/messages?runId=${run.id}` })).body;
  expect(messages).toHaveLength(1);
  expect(messages[0]).toMatchObject({
    status: 'failed',
    error: expect.stringMatching(/^provider\.rejected: .*ErrorCode 406/),
  });
  expect(messages[0].reason).toBeUndefined();
});
