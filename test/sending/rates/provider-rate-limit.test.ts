import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRun } from '../../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { insertContact, mailThrough } from '../../channels/scope.js';
import { e, n, publish, runEnds } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type StandIn, startStandIn } from '../stand-in.js';

// A provider's 429 is no failure (API.md "Sending credentials"): the message is held, retried
// after Retry-After, and the attempt is not spent — a step allowed one attempt still sends.

let t: TestApp;
let api: StandIn;
let worker: WorkerHandle;

beforeAll(async () => {
  api = await startStandIn(() => ({ status: 500 }));
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  worker = await startWorker(t.runtime, { pollInterval: 100 });
});
afterAll(async () => {
  await worker.stop();
  await t.close();
  await api.close();
});

async function postmarkCredential(): Promise<string> {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: t.auth,
    payload: { name: 'pm', type: 'postmark.server', data: { serverToken: 'pm-token', endpoint: api.url } },
  });
  return (created.json() as { id: string }).id;
}

test('a step with one attempt meets two 429s, waits out Retry-After each time, then sends once', async () => {
  const credential = await postmarkCredential();
  const answeredAt: number[] = [];
  api.answer(() => {
    answeredAt.push(Date.now());
    return answeredAt.length <= 2
      ? { status: 429, headers: { 'retry-after': '1' }, body: { ErrorCode: 429, Message: 'Rate limit exceeded' } }
      : { status: 200, body: { MessageID: 'pm-after-429', ErrorCode: 0, Message: 'OK' } };
  });
  const mail = n('mail', 'email.send', {
    from: 'News <news@example.com>',
    subject: 'Hello',
    html: '<p>Hello</p>',
    category: 'transactional',
    credential,
  });
  const graph = {
    nodes: [n('t', 'core.webhook'), { ...mail, settings: { retry: { attempts: 1 } } }],
    edges: [e('t', 'mail')],
  };
  const db = t.runtime.db;
  const contact = { id: await insertContact(t.runtime, { email: 'ann@example.com' }) };
  const j = await publish(db, graph);
  const started = await startRun(db, { ...j, triggerNodeId: 't', contactId: contact.id, trigger: {} });
  const { run, steps } = await runEnds(db, started?.runId as string, ['completed', 'failed', 'exited'], 20_000);

  expect(run.status).toBe('completed');
  const step = steps.find((s) => s.node_id === 'mail');
  expect(step).toMatchObject({ status: 'completed', attempts: 1, error: null });
  expect(api.requests).toHaveLength(3);
  // Each retry came no sooner than the second Retry-After asked for.
  expect((answeredAt[1] as number) - (answeredAt[0] as number)).toBeGreaterThanOrEqual(950);
  expect((answeredAt[2] as number) - (answeredAt[1] as number)).toBeGreaterThanOrEqual(950);
  const listed = await t.app.inject({ method: 'GET', url: `/api/messages?contactId=${contact.id}`, headers: t.auth });
  expect(listed.json().messages).toEqual([
    expect.objectContaining({ status: 'sent', providerId: 'pm-after-429', credentialId: credential }),
  ]);
}, 30_000);

test('while held after a 429 the message is queued and in its credential backlog', async () => {
  const credential = await postmarkCredential();
  api.answer(() => ({ status: 429, headers: { 'retry-after': '30' } }));
  const contactId = await insertContact(t.runtime, { email: 'held@example.org' });
  const before = Date.now();
  const result = await mailThrough(t.runtime, contactId, credential);
  expect(result).toMatchObject({ status: 'delayed', reason: 'send-rate' });
  expect((result.until as Date).getTime()).toBeGreaterThanOrEqual(before + 29_000);
  const listed = await t.app.inject({ method: 'GET', url: `/api/messages?contactId=${contactId}`, headers: t.auth });
  expect(listed.json().messages[0]).toMatchObject({ status: 'queued', credentialId: credential });
  const backlog = await t.app.inject({
    method: 'GET',
    url: `/api/credentials/${credential}/backlog`,
    headers: t.auth,
  });
  expect(backlog.json()).toMatchObject({ queued: 1 });
});
