import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMessagesService } from '../../../engine/messages/service.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { eventsOf, insertContact, stepScope } from '../../channels/scope.js';
import { e, eventually, n } from '../../engine/support.js';
import { api } from '../../failures/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type StandIn, startStandIn } from '../stand-in.js';

// A provider that refuses a message because of its recipient — Twilio's 21610 for a number that
// replied STOP — is a suppression, not a failure of the step: the message is suppressed and the
// step takes `suppressed`. (Postmark's ErrorCode 406 is provider.rejected, as NODES.md names it:
// postmark-inactive-recipient.test.ts.)

const SECRET = 'a-secret-of-16-chars';
const accountSid = `AC${'d'.repeat(32)}`;
let t: TestApp;
let server: StandIn;
let worker: WorkerHandle;

/** Twilio's answer to a send to a number that opted out (twilio.com/docs/api/errors/21610). */
const optedOut = {
  status: 400,
  body: {
    code: 21610,
    message: 'Attempt to send to unsubscribed recipient',
    more_info: 'https://www.twilio.com/docs/errors/21610',
    status: 400,
  },
};

beforeAll(async () => {
  server = await startStandIn(() => optedOut);
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true', PUBLIC_URL: 'https://waymark.example.com' });
  worker = await startWorker(t.runtime, { pollInterval: 100 });
});
afterAll(async () => {
  await worker.stop();
  await t.close();
  await server.close();
});

async function credential(type: string, data: Record<string, unknown>): Promise<string> {
  const res = await api(t, {
    method: 'POST',
    url: '/api/credentials',
    payload: { name: type, type, data: { endpoint: server.url, ...data } },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** A published journey: webhook → sms.send through `credentialId` → an exit for each outcome. */
async function smsJourney(credentialId: string): Promise<string> {
  const sms = n('sms', 'sms.send', { credential: credentialId, body: 'Spring sale!', category: 'marketing' });
  const graph = {
    nodes: [
      n('hook', 'core.webhook', { secret: SECRET }),
      sms,
      n('sent', 'core.exit', { goal: 'sent' }),
      n('skipped', 'core.exit', { goal: 'suppressed' }),
    ],
    edges: [e('hook', 'sms'), e('sms', 'sent', 'sent'), e('sms', 'skipped', 'suppressed')],
  };
  const created = await api(t, { method: 'POST', url: '/api/journeys', payload: { name: 'SMS sale', graph } });
  expect(created.status).toBe(201);
  await api(t, { method: 'POST', url: `/api/journeys/${created.body.id}/publish` });
  return created.body.id as string;
}

async function enter(journeyId: string, email: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
    payload: { email },
  });
  expect(res.statusCode).toBe(202);
  return res.json().runId as string;
}

async function ended(runId: string) {
  return eventually(async () => {
    const run = await api(t, { url: `/api/runs/${runId}` });
    return run.body.status === 'running' ? undefined : run.body;
  }, 20_000);
}

async function messagesOf(contactId: string) {
  return (await api(t, { url: `/api/messages?contactId=${contactId}` })).body.messages as Record<string, unknown>[];
}

describe('a provider refusing the recipient', () => {
  test('Twilio 21610 (the number replied STOP): the SMS is suppressed, the contact unsubscribed, the run goes on', async () => {
    const id = await credential('twilio.account', { accountSid, authToken: 'tw-token', from: '+15005550006' });
    const journeyId = await smsJourney(id);
    const contactId = await insertContact(t.runtime, { email: 'stopped@example.com', phone: '+358401230001' });
    server.answer(() => optedOut);
    const before = server.requests.length;

    const run = await ended(await enter(journeyId, 'stopped@example.com'));
    expect(run.status).toBe('completed');
    expect(run.outcome).toBe('suppressed');
    expect(server.requests.length).toBe(before + 1);
    const [message] = await messagesOf(contactId);
    expect(message).toMatchObject({ status: 'suppressed', reason: 'unsubscribed', credentialId: id });
    expect(String(message?.error)).toContain('21610');

    const contact = await api(t, { url: `/api/contacts/${contactId}` });
    expect(contact.body.consent.sms).toMatchObject({ status: 'unsubscribed', source: 'provider' });
    expect((await eventsOf(t.runtime, contactId, 'consent.changed')).map((r) => r.properties)).toEqual([
      { channel: 'sms', status: 'unsubscribed', previous: 'unknown', source: 'provider' },
    ]);

    // The next marketing SMS is suppressed before it reaches Twilio, as after a STOP reply.
    const again = await ended(await enter(journeyId, 'stopped@example.com'));
    expect(again.outcome).toBe('suppressed');
    expect(server.requests.length).toBe(before + 1);
  }, 30_000);

  test('any other Twilio 400 still fails the step provider.rejected and leaves consent alone', async () => {
    const id = await credential('twilio.account', { accountSid, authToken: 'tw-token', from: '+15005550006' });
    const contactId = await insertContact(t.runtime, { phone: '+358401230002' });
    server.answer(() => ({
      status: 400,
      body: { code: 21211, message: "The 'To' number is not a valid phone number.", status: 400 },
    }));
    const scope = await stepScope(t.runtime, { contactId });
    const sent = createMessagesService(scope).send({
      channel: 'sms',
      category: 'marketing',
      text: 'Hi',
      credential: id,
    });
    await expect(sent).rejects.toThrow(/^provider\.rejected: Twilio answered 400 \(error 21211/);
    const contact = await api(t, { url: `/api/contacts/${contactId}` });
    expect(contact.body.consent.sms.status).toBe('unknown');
  });

  test('an SMS to a number given apart from the contact’s is suppressed, and the contact’s consent stays', async () => {
    const id = await credential('twilio.account', { accountSid, authToken: 'tw-token', from: '+15005550006' });
    const contactId = await insertContact(t.runtime, { phone: '+358401230003' });
    server.answer(() => optedOut);
    const scope = await stepScope(t.runtime, { contactId });
    const result = await createMessagesService(scope).send({
      channel: 'sms',
      category: 'transactional',
      to: '+358401239999',
      text: 'Your code is 1234',
      credential: id,
    });
    expect(result).toMatchObject({ status: 'suppressed', reason: 'unsubscribed' });
    const contact = await api(t, { url: `/api/contacts/${contactId}` });
    expect(contact.body.consent.sms.status).toBe('unknown');
  });
});
