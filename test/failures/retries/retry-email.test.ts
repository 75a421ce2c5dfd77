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
let runId: string;

describe('an email the SMTP server refused until the run failed, retried once it is back', () => {
  beforeAll(async () => {
    const { journeyId } = await publishJourney(t, {
      nodes: [
        n('t', 'core.webhook', { secret: SECRET }),
        {
          ...n('mail', 'email.send', {
            from: 'news@example.com',
            subject: 'Hi',
            html: '<p>Hi</p>',
            category: 'transactional',
          }),
          settings: { retry: { attempts: 2, backoff: 'PT0S' } },
        },
      ],
      edges: [e('t', 'mail')],
    });
    const hook = await t.app.inject({
      method: 'POST',
      url: `/hooks/${journeyId}/t`,
      headers: { 'x-waymark-secret': SECRET },
      payload: { email: 'ann@example.com' },
    });
    runId = hook.json().runId;
    const { run } = await runEnds(t.runtime.db, runId);
    expect(run.failure).toMatchObject({ nodeId: 'mail', error: { code: 'smtp.unavailable', attempts: 2 } });
    smtpDown.now = false;
    expect((await api(t, { method: 'POST', url: `/api/runs/${runId}/retry` })).status).toBe(200);
    expect((await runEnds(t.runtime.db, runId, ['completed', 'failed'])).run.status).toBe('completed');
  });

  test('is sent once, as its one message', async () => {
    expect(smtp.raws).toHaveLength(1);
    const { body } = await api(t, { url: `/api/messages?runId=${runId}` });
    expect(body.messages).toHaveLength(1);
  });

  test('shows its message sent, without the refusal of the failed attempts', async () => {
    const { body } = await api(t, { url: `/api/messages?runId=${runId}` });
    expect(body.messages[0]).toMatchObject({ nodeId: 'mail', status: 'sent', sentAt: expect.any(String) });
    expect(body.messages[0].error).toBeUndefined();
  });
});
