import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { SendRequest } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMessagesService } from '../../engine/messages/service.js';
import { eventsOf, insertContact, stepScope } from '../channels/scope.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

let t: TestApp;
const PUBLIC_URL = 'https://waymark.example.com';

beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL });
});
afterAll(async () => {
  await t.close();
});

async function credential(type: string, data: Record<string, unknown>) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: t.auth,
    payload: { name: type, type, data },
  });
  expect(res.statusCode).toBe(201);
}

let count = 0;
/** A contact sent one email (or SMS) that the provider answered with `providerId`. */
async function sent(providerId: string, channel: 'email' | 'sms' = 'email') {
  count++;
  const email = `person${count}@example.com`;
  const contactId = await insertContact(t.runtime, { email, phone: `+3584099${String(count).padStart(5, '0')}` });
  const request: SendRequest = {
    channel,
    category: 'marketing',
    from: 'News <news@example.com>',
    subject: 'Hi',
    html: '<p>Hi</p>',
    text: 'Hi',
    deliver: async () => ({ providerId }),
  };
  const result = await createMessagesService(await stepScope(t.runtime, { contactId, nodeId: 'mail' })).send(request);
  return { contactId, email, messageId: result.messageId };
}

function post(provider: string, body: string | Buffer, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: `/hooks/providers/${provider}`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: body,
  });
}

async function contact(id: string) {
  const res = await t.app.inject({ method: 'GET', url: `/api/contacts/${id}`, headers: t.auth });
  return res.json();
}

async function marketingAgain(contactId: string, category: 'marketing' | 'transactional' = 'marketing') {
  return createMessagesService(await stepScope(t.runtime, { contactId })).send({
    channel: 'email',
    category,
    from: 'News <news@example.com>',
    subject: 'Again',
    html: '<p>Again</p>',
  });
}

describe('Postmark (basic auth of the webhook URL)', () => {
  const login = { authorization: `Basic ${Buffer.from('hooks:s3cret-pass').toString('base64')}` };

  /** Postmark's Bounce webhook sample (postmarkapp.com/developer/webhooks/bounce-webhook). */
  const bounce = (email: string, messageId: string, waymark: string) => ({
    RecordType: 'Bounce',
    MessageStream: 'outbound',
    ID: 4323372036,
    Type: 'HardBounce',
    TypeCode: 1,
    Name: 'Hard bounce',
    Tag: 'Test',
    MessageID: messageId,
    Metadata: { a_key: 'a_value', waymark_message: waymark },
    ServerID: 23,
    Description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).',
    Details: 'Test bounce details',
    Email: email,
    From: 'sender@example.com',
    BouncedAt: '2019-11-05T16:33:54.9070259Z',
    DumpAvailable: true,
    Inactive: true,
    CanActivate: true,
    Subject: 'Test subject',
    Content: '<Full dump of bounce>',
  });

  /** Postmark's SpamComplaint webhook sample (postmarkapp.com/developer/webhooks/spam-complaint-webhook). */
  const complaint = (email: string, messageId: string) => ({
    RecordType: 'SpamComplaint',
    MessageStream: 'outbound',
    ID: 42,
    Type: 'SpamComplaint',
    TypeCode: 512,
    Name: 'Spam complaint',
    Tag: 'Test',
    MessageID: messageId,
    Metadata: { a_key: 'a_value' },
    ServerID: 1234,
    Description: '',
    Details: 'Test spam complaint details',
    Email: email,
    From: 'sender@example.com',
    BouncedAt: '2019-11-05T16:33:54.9070259Z',
    DumpAvailable: true,
    Inactive: true,
    CanActivate: false,
    Subject: 'Test subject',
    Content: '<Abuse report dump>',
  });

  test('a credential without a webhook login verifies nothing', async () => {
    await credential('postmark.server', { serverToken: 'pm' });
    const empty = { authorization: `Basic ${Buffer.from(':').toString('base64')}` };
    const res = await post('postmark', JSON.stringify(complaint('x@example.com', 'm')), empty);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
    await credential('postmark.server', {
      serverToken: 'pm',
      webhookUsername: 'hooks',
      webhookPassword: 's3cret-pass',
    });
  });

  test('the bounce sample records a hard bounce and marks the address undeliverable', async () => {
    const { contactId, email, messageId } = await sent('883953f4-6105-42a2-a16a-77a8eac79483');
    const res = await post('postmark', JSON.stringify(bounce(email, 'other-id', messageId)), login);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ recorded: 1, duplicates: 0, unmatched: 0, ignored: 0 });
    const [event] = await eventsOf(t.runtime, contactId, 'email.bounced');
    expect(event?.properties).toEqual({
      messageId,
      nodeId: 'mail',
      kind: 'hard',
      status: 'HardBounce',
      provider: 'postmark',
    });
    expect((await contact(contactId)).emailUndeliverable).toMatchObject({ reason: 'bounced', status: 'HardBounce' });
    expect(await marketingAgain(contactId, 'transactional')).toMatchObject({ status: 'suppressed', reason: 'bounced' });
  });

  test('the same bounce delivered twice is recorded once', async () => {
    const { contactId, email, messageId } = await sent('pm-replay');
    const body = JSON.stringify({ ...bounce(email, 'pm-replay', messageId), ID: 777 });
    await post('postmark', body, login);
    const again = await post('postmark', body, login);
    expect(again.json()).toEqual({ recorded: 0, duplicates: 1, unmatched: 0, ignored: 0 });
    expect(await eventsOf(t.runtime, contactId, 'email.bounced')).toHaveLength(1);
  });

  test('the complaint sample unsubscribes the contact at once; marketing is suppressed, transactional goes', async () => {
    const { contactId, email, messageId } = await sent('pm-complained');
    const res = await post('postmark', JSON.stringify(complaint(email, 'pm-complained')), login);
    expect(res.json()).toMatchObject({ recorded: 1 });
    const [event] = await eventsOf(t.runtime, contactId, 'email.complained');
    expect(event?.properties).toEqual({ messageId, nodeId: 'mail', provider: 'postmark' });
    const person = await contact(contactId);
    expect(person.consent.email).toMatchObject({ status: 'unsubscribed', source: 'complaint' });
    const [changed] = await eventsOf(t.runtime, contactId, 'consent.changed');
    expect(changed?.properties).toMatchObject({ channel: 'email', status: 'unsubscribed', source: 'complaint' });
    expect(await marketingAgain(contactId)).toMatchObject({ status: 'suppressed', reason: 'complained' });
    expect(await marketingAgain(contactId, 'transactional')).toMatchObject({ status: 'sent' });
  });

  test('a delivery is matched by its MessageID', async () => {
    const { contactId, messageId } = await sent('pm-delivered');
    const delivery = {
      MessageID: 'pm-delivered',
      Recipient: 'john@example.com',
      DeliveredAt: '2019-11-05T16:33:54.9070259Z',
      Details: 'Test delivery webhook details',
      Tag: 'welcome-email',
      ServerID: 23,
      Metadata: { a_key: 'a_value' },
      RecordType: 'Delivery',
      MessageStream: 'outbound',
    };
    expect((await post('postmark', JSON.stringify(delivery), login)).json()).toMatchObject({ recorded: 1 });
    const [event] = await eventsOf(t.runtime, contactId, 'email.delivered');
    expect(event?.properties).toEqual({ messageId, nodeId: 'mail', provider: 'postmark' });
  });

  test('IDs past 2^53 stay apart (read from the raw body, not rounded)', async () => {
    const { contactId, email, messageId } = await sent('pm-big-ids');
    const sample = JSON.stringify({ ...bounce(email, 'pm-big-ids', messageId), Type: 'SoftBounce', Inactive: false });
    const first = sample.replace('"ID":4323372036', '"ID":4323372036854775807');
    const second = sample.replace('"ID":4323372036', '"ID":4323372036854775806');
    expect((await post('postmark', first, login)).json()).toMatchObject({ recorded: 1, duplicates: 0 });
    expect((await post('postmark', second, login)).json()).toMatchObject({ recorded: 1, duplicates: 0 });
    expect(await eventsOf(t.runtime, contactId, 'email.bounced')).toHaveLength(2);
  });

  test('a bounce for an unknown address and message is counted unmatched', async () => {
    const res = await post('postmark', JSON.stringify(bounce('nobody@example.net', 'nope', 'nope')), login);
    expect(res.json()).toEqual({ recorded: 0, duplicates: 0, unmatched: 1, ignored: 0 });
  });

  test('an Open record is ignored', async () => {
    const open = { RecordType: 'Open', MessageID: 'x', Recipient: 'john@example.com' };
    expect((await post('postmark', JSON.stringify(open), login)).json()).toMatchObject({ ignored: 1 });
  });

  test('a wrong password is 401 and records nothing', async () => {
    const { contactId, email, messageId } = await sent('pm-forged');
    const forged = { authorization: `Basic ${Buffer.from('hooks:guess').toString('base64')}` };
    const res = await post('postmark', JSON.stringify(bounce(email, 'pm-forged', messageId)), forged);
    expect(res.statusCode).toBe(401);
    expect(await eventsOf(t.runtime, contactId, 'email.bounced')).toHaveLength(0);
    expect((await contact(contactId)).emailUndeliverable).toBeNull();
  });

  test('no Authorization header is 401', async () => {
    const res = await post('postmark', JSON.stringify(complaint('a@example.com', 'm')));
    expect(res.statusCode).toBe(401);
  });

  test('a body that is not JSON is 400 invalid_json', async () => {
    const res = await post('postmark', '{"RecordType":', login);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_json');
  });

  test('JSON that is no Postmark record is 400', async () => {
    const res = await post('postmark', JSON.stringify({ hello: 'world' }), login);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
  });

  test('a body over 1 MiB is 413', async () => {
    const res = await post('postmark', JSON.stringify({ RecordType: 'Open', pad: 'x'.repeat(1024 * 1024) }), login);
    expect(res.statusCode).toBe(413);
  });
});

describe('SendGrid (signed Event Webhook, ECDSA P-256)', () => {
  let privateKey: KeyObject;
  beforeAll(async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    privateKey = pair.privateKey;
    const der = pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    await credential('sendgrid.account', { apiKey: 'SG.x', webhookPublicKey: der });
  });

  const signed = (body: string, key: KeyObject = privateKey, timestamp = String(Math.floor(Date.now() / 1000))) => ({
    'x-twilio-email-event-webhook-timestamp': timestamp,
    'x-twilio-email-event-webhook-signature': sign('sha256', Buffer.from(timestamp + body), key).toString('base64'),
  });

  /** SendGrid's Event Webhook samples (docs.sendgrid.com, event webhook reference). */
  const events = (email: string, messageId: string, sgMessageId: string, suffix: string) => [
    {
      email,
      timestamp: 1513299569,
      'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>',
      event: 'bounce',
      category: 'cat facts',
      sg_event_id: `6g4ZI7SA-xmRDv57GoPIPw==${suffix}`,
      sg_message_id: `${sgMessageId}.filter0001.16648.5515E0B88.0`,
      reason: '500 unknown recipient',
      status: '5.0.0',
      type: 'bounce',
    },
    {
      email,
      timestamp: 1513299569,
      'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>',
      event: 'spamreport',
      category: 'cat facts',
      sg_event_id: `37nvH5QBz858KGVYCM4uOA==${suffix}`,
      sg_message_id: `${sgMessageId}.filter0001.16648.5515E0B88.0`,
      waymark_message: messageId,
    },
    {
      email,
      timestamp: 1513299569,
      event: 'open',
      sg_event_id: `FOTFFO0ecsBE-zxFXfs6WA==${suffix}`,
      sg_message_id: `${sgMessageId}.filter0001.16648.5515E0B88.0`,
      useragent: 'Mozilla/4.0',
      ip: '255.255.255.255',
    },
  ];

  test('a signed batch records the bounce and the complaint and ignores the open', async () => {
    const { contactId, email, messageId } = await sent('W86EgYT6SQKk0lRflfLRsA');
    const body = JSON.stringify(events(email, messageId, 'W86EgYT6SQKk0lRflfLRsA', 'a'));
    const res = await post('sendgrid', body, signed(body));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ recorded: 2, duplicates: 0, unmatched: 0, ignored: 1 });
    const [bounced] = await eventsOf(t.runtime, contactId, 'email.bounced');
    expect(bounced?.properties).toEqual({
      messageId,
      nodeId: 'mail',
      kind: 'hard',
      status: '5.0.0',
      provider: 'sendgrid',
    });
    expect((await contact(contactId)).consent.email).toMatchObject({ status: 'unsubscribed', source: 'complaint' });
  });

  test('a replayed batch counts duplicates and records nothing new', async () => {
    const { contactId, email, messageId } = await sent('sg-replay');
    const body = JSON.stringify(events(email, messageId, 'sg-replay', 'b'));
    await post('sendgrid', body, signed(body));
    const again = await post('sendgrid', body, signed(body));
    expect(again.json()).toEqual({ recorded: 0, duplicates: 2, unmatched: 0, ignored: 1 });
    expect(await eventsOf(t.runtime, contactId, 'email.complained')).toHaveLength(1);
  });

  test('a blocked bounce is soft', async () => {
    const { contactId, email } = await sent('sg-blocked');
    const event = { ...events(email, '', 'sg-blocked', 'c')[0], type: 'blocked', status: '4.0.0' };
    const body = JSON.stringify([event]);
    await post('sendgrid', body, signed(body));
    const [bounced] = await eventsOf(t.runtime, contactId, 'email.bounced');
    expect(bounced?.properties).toMatchObject({ kind: 'soft', status: '4.0.0' });
    expect((await contact(contactId)).emailUndeliverable).toBeNull();
  });

  test('a batch signed by another key is 401', async () => {
    const { email, messageId } = await sent('sg-forged');
    const body = JSON.stringify(events(email, messageId, 'sg-forged', 'd'));
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect((await post('sendgrid', body, signed(body, other))).statusCode).toBe(401);
  });

  test('a body changed after signing is 401', async () => {
    const { contactId, email, messageId } = await sent('sg-tampered');
    const body = JSON.stringify(events(email, messageId, 'sg-tampered', 'e'));
    const headers = signed(body);
    const tampered = body.replace('"bounce"', '"delivered"');
    expect((await post('sendgrid', tampered, headers)).statusCode).toBe(401);
    expect(await eventsOf(t.runtime, contactId, 'email.delivered')).toHaveLength(0);
  });

  test('a signature over another timestamp is 401', async () => {
    const body = JSON.stringify([]);
    const headers = { ...signed(body), 'x-twilio-email-event-webhook-timestamp': '1' };
    expect((await post('sendgrid', body, headers)).statusCode).toBe(401);
  });

  test('a body that is not an array is 400', async () => {
    const body = JSON.stringify({ event: 'bounce' });
    expect((await post('sendgrid', body, signed(body))).statusCode).toBe(400);
  });
});

describe('Mailgun (HMAC-SHA256 of timestamp and token)', () => {
  const key = 'key-mailgun-signing-0123456789';
  beforeAll(async () => {
    await credential('mailgun.domain', { apiKey: 'k', domain: 'mg.example.com', webhookSigningKey: key });
  });

  const signature = (token: string, signingKey = key) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    return {
      timestamp,
      token,
      signature: createHmac('sha256', signingKey)
        .update(timestamp + token)
        .digest('hex'),
    };
  };

  /** Mailgun's permanent failure webhook sample (documentation.mailgun.com, webhooks). */
  const failed = (email: string, providerId: string, id: string, token: string, signingKey = key) => ({
    signature: signature(token, signingKey),
    'event-data': {
      event: 'failed',
      id,
      timestamp: 1521233195.375624,
      'log-level': 'error',
      severity: 'permanent',
      reason: 'suppress-bounce',
      envelope: { sender: 'bob@mg.example.com', transport: 'smtp', targets: email },
      flags: { 'is-routed': false, 'is-authenticated': true, 'is-system-test': false, 'is-test-mode': false },
      'delivery-status': {
        'attempt-no': 1,
        message: '',
        code: 605,
        description: 'Not delivering to previously bounced address',
        'session-seconds': 0.0,
      },
      message: {
        headers: {
          to: `Alice <${email}>`,
          'message-id': providerId,
          from: 'Bob <bob@mg.example.com>',
          subject: 'Test',
        },
        attachments: [],
        size: 111,
      },
      recipient: email,
      'recipient-domain': 'example.com',
      storage: { url: 'https://se.api.mailgun.net/v3/domains/mg.example.com/messages/message_key', key: 'message_key' },
      campaigns: [],
      tags: ['my_tag_1', 'my_tag_2'],
      'user-variables': { my_var_1: 'Mailgun Variable #1', 'my-var-2': 'awesome' },
    },
  });

  test('the permanent failure sample is a hard bounce matched by message-id', async () => {
    const { contactId, email, messageId } = await sent('20130503192659.13651.20287@mg.example.com');
    const body = failed(
      email,
      '20130503192659.13651.20287@mg.example.com',
      'G9Bn5sl1TC6nu79C8C0bwg',
      'tok1'.repeat(12),
    );
    const res = await post('mailgun', JSON.stringify(body));
    expect(res.json()).toEqual({ recorded: 1, duplicates: 0, unmatched: 0, ignored: 0 });
    const [bounced] = await eventsOf(t.runtime, contactId, 'email.bounced');
    expect(bounced?.properties).toEqual({
      messageId,
      nodeId: 'mail',
      kind: 'hard',
      status: '605',
      provider: 'mailgun',
    });
    expect((await contact(contactId)).emailUndeliverable).toMatchObject({ reason: 'bounced' });
  });

  test('a complaint unsubscribes the contact', async () => {
    const { contactId, email } = await sent('mg-complaint@mg.example.com');
    const body = failed(email, 'mg-complaint@mg.example.com', 'complaint-1', 'tok2'.repeat(12));
    const complained = { ...body, 'event-data': { ...body['event-data'], event: 'complained', severity: undefined } };
    expect((await post('mailgun', JSON.stringify(complained))).json()).toMatchObject({ recorded: 1 });
    expect((await contact(contactId)).consent.email).toMatchObject({ status: 'unsubscribed', source: 'complaint' });
  });

  test('a replay of the same event is a duplicate', async () => {
    const { email } = await sent('mg-replay@mg.example.com');
    const body = JSON.stringify(failed(email, 'mg-replay@mg.example.com', 'replay-1', 'tok3'.repeat(12)));
    await post('mailgun', body);
    expect((await post('mailgun', body)).json()).toMatchObject({ recorded: 0, duplicates: 1 });
  });

  test('a signature made with another key is 401', async () => {
    const { email } = await sent('mg-forged@mg.example.com');
    const body = failed(email, 'mg-forged@mg.example.com', 'forged-1', 'tok4'.repeat(12), 'guessed-key');
    expect((await post('mailgun', JSON.stringify(body))).statusCode).toBe(401);
  });

  test('a token swapped under a valid signature is 401', async () => {
    const { email } = await sent('mg-swap@mg.example.com');
    const body = failed(email, 'mg-swap@mg.example.com', 'swap-1', 'tok5'.repeat(12));
    body.signature.token = 'tok6'.repeat(12);
    expect((await post('mailgun', JSON.stringify(body))).statusCode).toBe(401);
  });
});

describe('Twilio (X-Twilio-Signature over the URL and sorted fields)', () => {
  const authToken = 'twilio-auth-token-0123456789abcd';
  beforeAll(async () => {
    await credential('twilio.account', { accountSid: `AC${'c'.repeat(32)}`, authToken, from: '+15005550006' });
  });

  const signedForm = (fields: Record<string, string>, token = authToken) => {
    const sorted = Object.keys(fields)
      .sort()
      .map((k) => k + fields[k])
      .join('');
    const signature = createHmac('sha1', token)
      .update(`${PUBLIC_URL}/hooks/providers/twilio${sorted}`)
      .digest('base64');
    return {
      body: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    };
  };

  /** A status callback as Twilio posts it (twilio.com/docs/messaging/guides/track-outbound-message-status). */
  const callback = (sid: string, status: string) => ({
    AccountSid: `AC${'c'.repeat(32)}`,
    ApiVersion: '2010-04-01',
    ErrorCode: '30003',
    From: '+15005550006',
    MessageSid: sid,
    MessageStatus: status,
    SmsSid: sid,
    SmsStatus: status,
    To: '+15558675310',
  });

  test('an undelivered callback records sms.failed with the error code', async () => {
    const { contactId, messageId } = await sent('SM0001', 'sms');
    const { body, headers } = signedForm(callback('SM0001', 'undelivered'));
    const res = await post('twilio', body, headers);
    expect(res.json()).toEqual({ recorded: 1, duplicates: 0, unmatched: 0, ignored: 0 });
    const [failed] = await eventsOf(t.runtime, contactId, 'sms.failed');
    expect(failed?.properties).toEqual({ messageId, nodeId: 'mail', provider: 'twilio', code: '30003' });
  });

  test('a delivered callback records sms.delivered; sent is ignored', async () => {
    const { contactId } = await sent('SM0002', 'sms');
    const { ErrorCode: _none, ...delivered } = callback('SM0002', 'delivered');
    const one = signedForm(delivered);
    expect((await post('twilio', one.body, one.headers)).json()).toMatchObject({ recorded: 1 });
    expect(await eventsOf(t.runtime, contactId, 'sms.delivered')).toHaveLength(1);
    const sentStatus = signedForm(callback('SM0002', 'sent'));
    expect((await post('twilio', sentStatus.body, sentStatus.headers)).json()).toMatchObject({ ignored: 1 });
  });

  test('a callback signed with another token is 401', async () => {
    const { body, headers } = signedForm(callback('SM0003', 'failed'), 'not-the-token');
    expect((await post('twilio', body, headers)).statusCode).toBe(401);
  });

  test('a field changed after signing is 401', async () => {
    const { headers } = signedForm(callback('SM0004', 'delivered'));
    const changed = new URLSearchParams(callback('SM0004', 'failed')).toString();
    expect((await post('twilio', changed, headers)).statusCode).toBe(401);
  });
});

describe('provider webhooks in general', () => {
  test('an unknown provider is 404', async () => {
    const res = await post('acme-mail', '{}');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });
});
