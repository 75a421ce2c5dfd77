import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, n, runEnds } from '../../engine/support.js';
import { type RawSmtpServer, startRawSmtpServer } from '../../sending/smtp-server.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { api, publishJourney } from '../support.js';

// contracts/failures.md "Retrying runs": a retried email.send step sends under the failed
// step's idempotency key, "unless a message under that key was sent". An SMTP server that
// refuses for a while (451), then takes the mail.

let t: TestApp;
let worker: WorkerHandle;
let smtp: RawSmtpServer;
const smtpDown = { now: true };

beforeAll(async () => {
  smtp = await startRawSmtpServer({
    onRcptTo(_address, _session, callback) {
      callback(smtpDown.now ? Object.assign(new Error('try later'), { responseCode: 451 }) : undefined);
    },
  });
  t = await createTestApp({ SMTP_URL: smtp.url });
  worker = await startWorker(t.runtime, { pollInterval: 100 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await smtp?.close();
});

const SECRET = 'welcome-secret-0123456789';

/** A run whose `category` email to `email` failed while the SMTP server refused it (451). */
async function failedSend(email: string, category: 'marketing' | 'transactional'): Promise<string> {
  smtpDown.now = true;
  const { journeyId } = await publishJourney(t, {
    nodes: [
      n('t', 'core.webhook', { secret: SECRET }),
      {
        ...n('mail', 'email.send', { from: 'news@example.com', subject: 'Hi', html: '<p>Hi</p>', category }),
        settings: { retry: { attempts: 2, backoff: 'PT0S' } },
      },
    ],
    edges: [e('t', 'mail')],
  });
  const hook = await t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/t`,
    headers: { 'x-waymark-secret': SECRET },
    payload: { email },
  });
  const runId: string = hook.json().runId;
  const { run } = await runEnds(t.runtime.db, runId);
  expect(run.failure).toMatchObject({ nodeId: 'mail', error: { code: 'smtp.unavailable', attempts: 2 } });
  return runId;
}

async function retried(runId: string) {
  expect((await api(t, { method: 'POST', url: `/api/runs/${runId}/retry` })).status).toBe(200);
  expect((await runEnds(t.runtime.db, runId, ['completed', 'failed'])).run.status).toBe('completed');
}

const messagesOf = async (runId: string) => (await api(t, { url: `/api/messages?runId=${runId}` })).body.messages;

describe('an email the SMTP server refused until the run failed, retried once it is back', () => {
  let runId: string;
  beforeAll(async () => {
    runId = await failedSend('ann@example.com', 'transactional');
    smtpDown.now = false;
    await retried(runId);
  });

  test('is sent once, as its one message', async () => {
    expect(smtp.raws).toHaveLength(1);
    expect(await messagesOf(runId)).toHaveLength(1);
  });

  test('shows its message sent, without the refusal of the failed attempts', async () => {
    const [message] = await messagesOf(runId);
    expect(message).toMatchObject({ nodeId: 'mail', status: 'sent', sentAt: expect.any(String) });
    expect(message.error).toBeUndefined();
  });
});

describe('a marketing email refused until the run failed, retried after its contact unsubscribed', () => {
  test('is not sent, and its message shows suppressed as the step does, not the failed send', async () => {
    const runId = await failedSend('bob@example.com', 'marketing');
    const { body: run } = await api(t, { url: `/api/runs/${runId}` });
    const consent = { channel: 'email', status: 'unsubscribed', source: 'test' };
    const unsubscribed = await api(t, {
      method: 'PUT',
      url: `/api/contacts/${run.contactId}/consent`,
      payload: consent,
    });
    expect(unsubscribed.status).toBe(200);
    smtpDown.now = false;
    const before = smtp.raws.length;
    await retried(runId);
    const { body } = await api(t, { url: `/api/runs/${runId}` });
    expect(body.steps.at(-1)).toMatchObject({
      nodeId: 'mail',
      output: { status: 'suppressed', reason: 'unsubscribed' },
    });
    expect(smtp.raws).toHaveLength(before);
    const [message] = await messagesOf(runId);
    expect(message).toMatchObject({ status: 'suppressed', reason: 'unsubscribed' });
    expect(message.error).toBeUndefined();
  });
});
