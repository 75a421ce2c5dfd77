import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { eventsOf } from '../../channels/scope.js';
import { providerHookApp } from './support.js';

const hooks = providerHookApp();

describe('Mailgun (HMAC-SHA256 of timestamp and token)', () => {
  const key = 'key-mailgun-signing-0123456789';
  beforeAll(async () => {
    await hooks.credential('mailgun.domain', { apiKey: 'k', domain: 'mg.example.com', webhookSigningKey: key });
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
    const { contactId, email, messageId } = await hooks.sent('20130503192659.13651.20287@mg.example.com');
    const body = failed(
      email,
      '20130503192659.13651.20287@mg.example.com',
      'G9Bn5sl1TC6nu79C8C0bwg',
      'tok1-'.repeat(10),
    );
    const res = await hooks.post('mailgun', JSON.stringify(body));
    expect(res.json()).toEqual({ recorded: 1, duplicates: 0, unmatched: 0, ignored: 0 });
    const [bounced] = await eventsOf(hooks.t.runtime, contactId, 'email.bounced');
    expect(bounced?.properties).toEqual({
      messageId,
      nodeId: 'mail',
      kind: 'hard',
      status: '605',
      provider: 'mailgun',
    });
    expect((await hooks.contact(contactId)).emailUndeliverable).toMatchObject({ reason: 'bounced' });
  });

  test('a temporary failure is a soft bounce, its status the delivery-status code', async () => {
    const { contactId, email } = await hooks.sent('mg-temporary@mg.example.com');
    const body = failed(email, 'mg-temporary@mg.example.com', 'temporary-1', 'tok8-'.repeat(10));
    const event = body['event-data'];
    const temporary = {
      ...body,
      'event-data': { ...event, severity: 'temporary', 'delivery-status': { ...event['delivery-status'], code: 452 } },
    };
    expect((await hooks.post('mailgun', JSON.stringify(temporary))).json()).toMatchObject({ recorded: 1 });
    const [bounced] = await eventsOf(hooks.t.runtime, contactId, 'email.bounced');
    expect(bounced?.properties).toMatchObject({ kind: 'soft', status: '452', provider: 'mailgun' });
    expect((await hooks.contact(contactId)).emailUndeliverable).toBeNull();
  });

  test('a delivery is recorded, matched by the waymark_message user variable', async () => {
    const { contactId, email, messageId } = await hooks.sent('mg-provider-id@mg.example.com');
    const body = failed(email, 'another-message-id@mg.example.com', 'delivered-1', 'tok9-'.repeat(10));
    const event = body['event-data'];
    const delivered = {
      ...body,
      'event-data': {
        ...event,
        event: 'delivered',
        severity: undefined,
        'user-variables': { waymark_message: messageId },
      },
    };
    expect((await hooks.post('mailgun', JSON.stringify(delivered))).json()).toMatchObject({ recorded: 1 });
    const [delivery] = await eventsOf(hooks.t.runtime, contactId, 'email.delivered');
    expect(delivery?.properties).toEqual({ messageId, nodeId: 'mail', provider: 'mailgun' });
  });

  test('a complaint unsubscribes the contact', async () => {
    const { contactId, email } = await hooks.sent('mg-complaint@mg.example.com');
    const body = failed(email, 'mg-complaint@mg.example.com', 'complaint-1', 'tok2-'.repeat(10));
    const complained = { ...body, 'event-data': { ...body['event-data'], event: 'complained', severity: undefined } };
    expect((await hooks.post('mailgun', JSON.stringify(complained))).json()).toMatchObject({ recorded: 1 });
    expect((await hooks.contact(contactId)).consent.email).toMatchObject({
      status: 'unsubscribed',
      source: 'complaint',
    });
  });

  test('a replay of the same event is a duplicate', async () => {
    const { email } = await hooks.sent('mg-replay@mg.example.com');
    const body = JSON.stringify(failed(email, 'mg-replay@mg.example.com', 'replay-1', 'tok3-'.repeat(10)));
    await hooks.post('mailgun', body);
    expect((await hooks.post('mailgun', body)).json()).toMatchObject({ recorded: 0, duplicates: 1 });
  });

  test('a signature made with another key is 401', async () => {
    const { email } = await hooks.sent('mg-forged@mg.example.com');
    const body = failed(email, 'mg-forged@mg.example.com', 'forged-1', 'tok4-'.repeat(10), 'guessed-key');
    expect((await hooks.post('mailgun', JSON.stringify(body))).statusCode).toBe(401);
  });

  test('a token swapped under a valid signature is 401', async () => {
    const { email } = await hooks.sent('mg-swap@mg.example.com');
    const body = failed(email, 'mg-swap@mg.example.com', 'swap-1', 'tok5-'.repeat(10));
    body.signature.token = 'tok6-'.repeat(10);
    expect((await hooks.post('mailgun', JSON.stringify(body))).statusCode).toBe(401);
  });

  test('a signature that is no string is 400 naming it, whoever sent it', async () => {
    const body = {
      signature: { timestamp: '1', token: '2', signature: 3 },
      'event-data': { id: 'q', event: 'delivered' },
    };
    const res = await hooks.post('mailgun', JSON.stringify(body));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/signature/signature', message: '/signature/signature must be string' },
    ]);
  });

  test.each([[5], [['a@b.c']]])('a signed event whose recipient is %j is 400 naming it', async (recipient) => {
    const body = failed('ann@example.com', 'mg-odd@mg.example.com', `odd-${typeof recipient}`, 'tok7-'.repeat(10));
    const odd = { ...body, 'event-data': { ...body['event-data'], recipient } };
    const res = await hooks.post('mailgun', JSON.stringify(odd));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/event-data/recipient', message: '/event-data/recipient must be string' },
    ]);
  });
});
