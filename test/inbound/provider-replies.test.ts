import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMessagesService } from '../../engine/messages/service.js';
import { insertContact, stepScope } from '../channels/scope.js';
import { type StandIn, type StandInAnswer, startStandIn } from '../sending/stand-in.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { composeMail, eventsOf, postMail, SECRET } from './support.js';

// NODES.md "Replies and bounces": inbound mail is matched to its email by the reply token, else by
// In-Reply-To/References. Without INBOUND_EMAIL_DOMAIN there is no reply token: a reply to an
// email sent through a provider's API is matched only if that email carried Waymark's Message-ID.

let t: TestApp;
let api: StandIn;
let people = 0;

beforeAll(async () => {
  api = await startStandIn(() => ({ status: 500 }));
  t = await createTestApp({ INBOUND_SECRET: SECRET, WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
});
afterAll(async () => {
  await t.close();
  await api.close();
});

/** The Message-ID the provider was asked to give the email, read from its request as its API takes it. */
async function messageIdAsked(type: string, body: string, contentType: string): Promise<string | undefined> {
  if (type === 'postmark.server')
    return (JSON.parse(body).Headers as { Name: string; Value: string }[]).find((h) => h.Name === 'Message-ID')?.Value;
  if (type === 'sendgrid.account') return JSON.parse(body).headers?.['Message-ID'];
  const form = await new Request('http://x', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  }).formData();
  return form.get('h:Message-Id')?.toString();
}

const providers: [string, Record<string, unknown>, StandInAnswer][] = [
  ['postmark.server', { serverToken: 'pm' }, { status: 200, body: { MessageID: 'pm-1', ErrorCode: 0 } }],
  ['sendgrid.account', { apiKey: 'SG.key' }, { status: 202, headers: { 'x-message-id': 'sg-1' } }],
  [
    'mailgun.domain',
    { apiKey: 'mg', domain: 'mg.example.com' },
    { status: 200, body: { id: '<mg-1@mg.example.com>' } },
  ],
];

describe('a reply to an email sent through a provider, with no reply token', () => {
  test.each(providers)('through %s, is matched by In-Reply-To', async (type, data, answer) => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/credentials',
      headers: t.auth,
      payload: { name: type, type, data: { ...data, endpoint: api.url } },
    });
    const credential = (created.json() as { id: string }).id;
    api.answer(() => answer);
    const before = api.requests.length;
    people++;
    const email = `provider-reply${people}@example.org`;
    const contactId = await insertContact(t.runtime, { email });
    const scope = await stepScope(t.runtime, { contactId, nodeId: 'offer' });
    const sent = await createMessagesService(scope).send({
      channel: 'email',
      category: 'transactional',
      from: 'News <news@example.com>',
      subject: 'Your order',
      html: '<p>Your order</p>',
      credential,
    });
    expect(sent.status).toBe('sent');
    const request = api.requests[before];
    const asked = await messageIdAsked(type, request?.body ?? '', String(request?.headers['content-type']));
    expect(asked).toBe(`<${sent.messageId}@example.com>`);

    const reply = await composeMail({
      from: email,
      to: 'news@example.com',
      subject: 'Re: Your order',
      inReplyTo: asked,
      references: asked,
      text: 'Where is it?',
    });
    const res = await postMail(t, reply);
    expect(res.json()).toMatchObject({ outcome: 'replied', messageId: sent.messageId });
    const [replied] = await eventsOf(t, contactId, 'email.replied');
    expect(replied?.properties).toMatchObject({ messageId: sent.messageId, nodeId: 'offer' });
  });
});
