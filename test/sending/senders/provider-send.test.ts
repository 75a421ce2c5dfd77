import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMessagesService } from '../../../engine/messages/service.js';
import { insertContact, stepScope } from '../../channels/scope.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type StandIn, type StandInAnswer, startStandIn } from '../stand-in.js';

let t: TestApp;
let api: StandIn;
let contacts = 0;

beforeAll(async () => {
  api = await startStandIn(() => ({ status: 500 }));
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true', PUBLIC_URL: 'https://waymark.example.com' });
});
afterAll(async () => {
  await t.close();
  await api.close();
});

async function credential(type: string, data: Record<string, unknown>): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: t.auth,
    payload: { name: type, type, data: { endpoint: api.url, ...data } },
  });
  expect(res.statusCode).toBe(201);
  return (res.json() as { id: string }).id;
}

const email = {
  channel: 'email',
  from: 'News <news@example.com>',
  replyTo: 'help@example.com',
  subject: 'Spring sale',
  html: '<p>Hi</p>',
  text: 'Hi',
} as const;

/** Sends one email through a credential while the stand-in answers `answer`; the request it got. */
async function sendThrough(
  credentialId: string,
  answer: StandInAnswer,
  request: Partial<{ channel: string; category: 'marketing' | 'transactional'; text: string }> = {},
) {
  api.answer(() => answer);
  const before = api.requests.length;
  contacts++;
  const contactId = await insertContact(t.runtime, {
    email: `c${contacts}@example.org`,
    phone: `+3584012${String(contacts).padStart(5, '0')}`,
  });
  const send = createMessagesService(await stepScope(t.runtime, { contactId })).send({
    ...email,
    category: 'marketing',
    ...request,
    credential: credentialId,
  });
  const result = await send.catch((error: Error & { retryable?: boolean }) => ({ error }));
  return { result, received: api.requests[before], contactId };
}

async function listed(contactId: string) {
  const res = await t.app.inject({ method: 'GET', url: `/api/messages?contactId=${contactId}`, headers: t.auth });
  return (res.json() as { messages: Record<string, unknown>[] }).messages[0];
}

describe('Postmark', () => {
  test('receives exactly the documented request, and its MessageID becomes the providerId', async () => {
    const id = await credential('postmark.server', { serverToken: 'pm-token', broadcastStream: 'broadcast' });
    const answer = {
      status: 200,
      body: { To: 'x', SubmittedAt: '2026-12-02T10:00:00Z', MessageID: 'pm-1', ErrorCode: 0, Message: 'OK' },
    };
    const { result, received, contactId } = await sendThrough(id, answer);
    expect(result).toMatchObject({ status: 'sent' });
    const messageId = (result as { messageId: string }).messageId;
    expect(received?.method).toBe('POST');
    expect(received?.url).toBe('/email');
    expect(received?.headers['x-postmark-server-token']).toBe('pm-token');
    expect(received?.headers.accept).toBe('application/json');
    const body = JSON.parse(received?.body ?? '');
    expect(Object.keys(body).sort()).toEqual(
      [
        'From',
        'To',
        'Subject',
        'HtmlBody',
        'TextBody',
        'ReplyTo',
        'Headers',
        'MessageStream',
        'Metadata',
        'TrackOpens',
        'TrackLinks',
      ].sort(),
    );
    expect(body).toMatchObject({
      From: 'News <news@example.com>',
      Subject: 'Spring sale',
      ReplyTo: 'help@example.com',
      MessageStream: 'broadcast',
      Metadata: { waymark_message: messageId },
      TrackOpens: false,
      TrackLinks: 'None',
    });
    expect(body.HtmlBody).toContain('<p>Hi</p>');
    expect(body.Headers).toContainEqual({ Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' });
    // NODES.md "Replies and bounces": a reply names it in In-Reply-To, with or without INBOUND_EMAIL_DOMAIN.
    expect(body.Headers).toContainEqual({ Name: 'Message-ID', Value: `<${messageId}@example.com>` });
    expect(await listed(contactId)).toMatchObject({ credentialId: id, providerId: 'pm-1', status: 'sent' });
  });

  test('transactional mail goes on the message stream', async () => {
    const id = await credential('postmark.server', { serverToken: 'pm-token', broadcastStream: 'broadcast' });
    const ok = { status: 200, body: { MessageID: 'pm-2', ErrorCode: 0, Message: 'OK' } };
    const { received } = await sendThrough(id, ok, { category: 'transactional' });
    expect(JSON.parse(received?.body ?? '').MessageStream).toBe('outbound');
  });

  // An inactive recipient (ErrorCode 406) from a journey: postmark-inactive-recipient.test.ts.
  test('an invalid request (ErrorCode 300) fails the step provider.rejected, naming the code', async () => {
    const id = await credential('postmark.server', { serverToken: 'pm-token' });
    const answer = { status: 422, body: { ErrorCode: 300, Message: 'Invalid email request' } };
    const { result } = await sendThrough(id, answer);
    const { error } = result as { error: Error & { retryable: boolean } };
    expect(error.message).toMatch(/^provider\.rejected: .*ErrorCode 300/);
    expect(error.retryable).toBe(false);
  });

  test('an ErrorCode in a 200 answer fails the step provider.rejected, saying Postmark answered 200', async () => {
    const id = await credential('postmark.server', { serverToken: 'pm-token' });
    const answer = { status: 200, body: { ErrorCode: 300, Message: 'Invalid email request' } };
    const { result, contactId } = await sendThrough(id, answer);
    const { error } = result as { error: Error & { retryable: boolean } };
    expect(error.message).toBe('provider.rejected: Postmark answered 200 (ErrorCode 300: Invalid email request)');
    expect(error.retryable).toBe(false);
    expect(await listed(contactId)).toMatchObject({ status: 'failed', error: error.message });
  });

  test('a wrong token (401) fails the step provider.auth', async () => {
    const id = await credential('postmark.server', { serverToken: 'wrong' });
    const { result, contactId } = await sendThrough(id, { status: 401, body: { ErrorCode: 10, Message: 'Bad token' } });
    expect((result as { error: Error }).error.message).toMatch(/^provider\.auth: /);
    expect(await listed(contactId)).toMatchObject({ status: 'failed', credentialId: id, providerId: null });
  });

  test('a 5xx is provider.unavailable and retried', async () => {
    const id = await credential('postmark.server', { serverToken: 'pm-token' });
    const { result } = await sendThrough(id, { status: 503 });
    const { error } = result as { error: Error & { retryable: boolean } };
    expect(error.message).toMatch(/^provider\.unavailable: /);
    expect(error.retryable).toBe(true);
  });

  test('a 429 fails nothing: the message is held until Retry-After', async () => {
    const id = await credential('postmark.server', { serverToken: 'pm-token' });
    const before = Date.now();
    const { result, contactId } = await sendThrough(id, { status: 429, headers: { 'retry-after': '3' } });
    expect(result).toMatchObject({ status: 'delayed', reason: 'send-rate' });
    expect((result as { until: Date }).until.getTime()).toBeGreaterThanOrEqual(before + 2900);
    expect(await listed(contactId)).toMatchObject({ status: 'queued', credentialId: id });
  });
});

describe('SendGrid', () => {
  test('receives exactly the documented request; X-Message-Id becomes the providerId', async () => {
    const id = await credential('sendgrid.account', { apiKey: 'SG.key' });
    const { result, received, contactId } = await sendThrough(id, {
      status: 202,
      headers: { 'x-message-id': 'sg-abc' },
    });
    const messageId = (result as { messageId: string }).messageId;
    expect(received?.url).toBe('/v3/mail/send');
    expect(received?.headers.authorization).toBe('Bearer SG.key');
    const body = JSON.parse(received?.body ?? '');
    expect(Object.keys(body).sort()).toEqual(
      ['personalizations', 'from', 'reply_to', 'subject', 'content', 'headers', 'tracking_settings'].sort(),
    );
    expect(body.personalizations).toEqual([
      { to: [{ email: expect.stringMatching(/@example\.org$/) }], custom_args: { waymark_message: messageId } },
    ]);
    expect(body.from).toEqual({ email: 'news@example.com', name: 'News' });
    expect(body.reply_to).toEqual({ email: 'help@example.com' });
    expect(body.content.map((c: { type: string }) => c.type)).toEqual(['text/plain', 'text/html']);
    expect(body.tracking_settings).toEqual({ click_tracking: { enable: false }, open_tracking: { enable: false } });
    expect(body.headers['Message-ID']).toBe(`<${messageId}@example.com>`);
    expect(await listed(contactId)).toMatchObject({ providerId: 'sg-abc' });
  });

  test('a 403 fails the step provider.auth', async () => {
    const id = await credential('sendgrid.account', { apiKey: 'SG.bad' });
    const { result } = await sendThrough(id, { status: 403, body: { errors: [{ message: 'access forbidden' }] } });
    expect((result as { error: Error }).error.message).toMatch(/^provider\.auth: .*access forbidden/);
  });
});

describe('Mailgun', () => {
  test('receives exactly the documented multipart request; the id without <> becomes the providerId', async () => {
    const id = await credential('mailgun.domain', { apiKey: 'mg-key', domain: 'mg.example.com' });
    const { result, received, contactId } = await sendThrough(id, {
      status: 200,
      body: { id: '<20261202.1@mg.example.com>', message: 'Queued. Thank you.' },
    });
    const messageId = (result as { messageId: string }).messageId;
    expect(received?.url).toBe('/v3/mg.example.com/messages');
    expect(received?.headers.authorization).toBe(`Basic ${Buffer.from('api:mg-key').toString('base64')}`);
    expect(received?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const form = await new Request('http://x', {
      method: 'POST',
      headers: { 'content-type': String(received?.headers['content-type']) },
      body: received?.body,
    }).formData();
    expect(form.get('from')).toBe('News <news@example.com>');
    expect(form.get('subject')).toBe('Spring sale');
    expect(String(form.get('text'))).toMatch(/^Hi\n\nUnsubscribe: https:\/\/waymark.example.com\/unsubscribe\//);
    expect(String(form.get('html'))).toContain('<p>Hi</p>');
    expect(form.get('h:Reply-To')).toBe('help@example.com');
    expect(form.get('h:List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(form.get('v:waymark_message')).toBe(messageId);
    expect(form.get('h:Message-Id')).toBe(`<${messageId}@example.com>`);
    expect(form.get('o:tracking')).toBe('no');
    expect(await listed(contactId)).toMatchObject({ providerId: '20261202.1@mg.example.com' });
  });
});

describe('Twilio', () => {
  const accountSid = `AC${'a'.repeat(32)}`;

  test('receives exactly the documented form with a status callback; the sid becomes the providerId', async () => {
    const id = await credential('twilio.account', { accountSid, authToken: 'tw-token', from: '+15005550006' });
    const { received } = await sendThrough(
      id,
      { status: 201, body: { sid: 'SM123', status: 'queued' } },
      { channel: 'sms', text: 'Hi there' },
    );
    expect(received?.url).toBe(`/2010-04-01/Accounts/${accountSid}/Messages.json`);
    expect(received?.headers.authorization).toBe(`Basic ${Buffer.from(`${accountSid}:tw-token`).toString('base64')}`);
    const form = Object.fromEntries(new URLSearchParams(received?.body ?? ''));
    expect(form).toEqual({
      To: expect.stringMatching(/^\+3584012\d{5}$/),
      From: '+15005550006',
      Body: 'Hi there',
      StatusCallback: 'https://waymark.example.com/hooks/providers/twilio',
    });
  });

  test('a messaging service replaces From', async () => {
    const messagingServiceSid = `MG${'b'.repeat(32)}`;
    const id = await credential('twilio.account', { accountSid, authToken: 'tw-token', messagingServiceSid });
    const { received } = await sendThrough(id, { status: 201, body: { sid: 'SM124' } }, { channel: 'sms', text: 'Hi' });
    const form = Object.fromEntries(new URLSearchParams(received?.body ?? ''));
    expect(form.MessagingServiceSid).toBe(messagingServiceSid);
    expect(form.From).toBeUndefined();
  });

  test('SIDs in any form (the docs’ ACXXXX… placeholders) are taken, the account SID sent URL-encoded', async () => {
    const placeholder = `AC${'X'.repeat(32)}`;
    const id = await credential('twilio.account', {
      accountSid: placeholder,
      authToken: 'tw-token',
      messagingServiceSid: `MG${'X'.repeat(32)}`,
    });
    const { received } = await sendThrough(id, { status: 201, body: { sid: 'SM125' } }, { channel: 'sms', text: 'Hi' });
    expect(received?.url).toBe(`/2010-04-01/Accounts/${placeholder}/Messages.json`);
    const odd = await credential('twilio.account', {
      accountSid: 'AC/1 2',
      authToken: 'tw-token',
      from: '+15005550006',
    });
    const sent = await sendThrough(odd, { status: 201, body: { sid: 'SM126' } }, { channel: 'sms', text: 'Hi' });
    expect(sent.received?.url).toBe('/2010-04-01/Accounts/AC%2F1%202/Messages.json');
  });

  test('both From and a messaging service is refused at /data, in one detail naming the two', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/credentials',
      headers: t.auth,
      payload: {
        name: 'tw',
        type: 'twilio.account',
        data: { accountSid, authToken: 'x', from: '+15005550006', messagingServiceSid: `MG${'b'.repeat(32)}` },
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/data', message: 'body/data must have only one of from or messagingServiceSid, not both' },
    ]);
  });

  test('an email credential cannot send SMS', async () => {
    const id = await credential('postmark.server', { serverToken: 'pm-token' });
    const { result } = await sendThrough(id, { status: 200 }, { channel: 'sms', text: 'Hi' });
    expect((result as { error: Error }).error.message).toMatch(/no sms sending credential/);
  });
});
