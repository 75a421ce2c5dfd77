import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { eventsOf } from '../../channels/scope.js';
import { providerHookApp } from './support.js';

const hooks = providerHookApp();

describe('SendGrid (signed Event Webhook, ECDSA P-256)', () => {
  let privateKey: KeyObject;
  beforeAll(async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    privateKey = pair.privateKey;
    const der = pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    await hooks.credential('sendgrid.account', { apiKey: 'SG.x', webhookPublicKey: der });
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
    const { contactId, email, messageId } = await hooks.sent('W86EgYT6SQKk0lRflfLRsA');
    const body = JSON.stringify(events(email, messageId, 'W86EgYT6SQKk0lRflfLRsA', 'a'));
    const res = await hooks.post('sendgrid', body, signed(body));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ recorded: 2, duplicates: 0, unmatched: 0, ignored: 1 });
    const [bounced] = await eventsOf(hooks.t.runtime, contactId, 'email.bounced');
    expect(bounced?.properties).toEqual({
      messageId,
      nodeId: 'mail',
      kind: 'hard',
      status: '5.0.0',
      provider: 'sendgrid',
    });
    expect((await hooks.contact(contactId)).consent.email).toMatchObject({
      status: 'unsubscribed',
      source: 'complaint',
    });
  });

  test('a replayed batch counts duplicates and records nothing new', async () => {
    const { contactId, email, messageId } = await hooks.sent('sg-replay');
    const body = JSON.stringify(events(email, messageId, 'sg-replay', 'b'));
    await hooks.post('sendgrid', body, signed(body));
    const again = await hooks.post('sendgrid', body, signed(body));
    expect(again.json()).toEqual({ recorded: 0, duplicates: 2, unmatched: 0, ignored: 1 });
    expect(await eventsOf(hooks.t.runtime, contactId, 'email.complained')).toHaveLength(1);
  });

  test('a blocked bounce is soft', async () => {
    const { contactId, email } = await hooks.sent('sg-blocked');
    const event = { ...events(email, '', 'sg-blocked', 'c')[0], type: 'blocked', status: '4.0.0' };
    const body = JSON.stringify([event]);
    await hooks.post('sendgrid', body, signed(body));
    const [bounced] = await eventsOf(hooks.t.runtime, contactId, 'email.bounced');
    expect(bounced?.properties).toMatchObject({ kind: 'soft', status: '4.0.0' });
    expect((await hooks.contact(contactId)).emailUndeliverable).toBeNull();
  });

  test('a batch signed by another key is 401', async () => {
    const { email, messageId } = await hooks.sent('sg-forged');
    const body = JSON.stringify(events(email, messageId, 'sg-forged', 'd'));
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect((await hooks.post('sendgrid', body, signed(body, other))).statusCode).toBe(401);
  });

  test('a body changed after signing is 401', async () => {
    const { contactId, email, messageId } = await hooks.sent('sg-tampered');
    const body = JSON.stringify(events(email, messageId, 'sg-tampered', 'e'));
    const headers = signed(body);
    const tampered = body.replace('"bounce"', '"delivered"');
    expect((await hooks.post('sendgrid', tampered, headers)).statusCode).toBe(401);
    expect(await eventsOf(hooks.t.runtime, contactId, 'email.delivered')).toHaveLength(0);
  });

  test('a signature over another timestamp is 401', async () => {
    const body = JSON.stringify([]);
    const headers = { ...signed(body), 'x-twilio-email-event-webhook-timestamp': '1' };
    expect((await hooks.post('sendgrid', body, headers)).statusCode).toBe(401);
  });

  test('a body that is not an array is 400', async () => {
    const body = JSON.stringify({ event: 'bounce' });
    expect((await hooks.post('sendgrid', body, signed(body))).statusCode).toBe(400);
  });

  test('a signed event whose sg_message_id is no string is 400 naming it', async () => {
    const body = JSON.stringify([{ event: 'delivered', sg_event_id: 'f1', sg_message_id: 7 }]);
    const res = await hooks.post('sendgrid', body, signed(body));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/0/sg_message_id', message: '/0/sg_message_id must be string' },
    ]);
  });

  test('a signed event whose email is no string is 400 naming it', async () => {
    const body = JSON.stringify([{ event: 'delivered', sg_event_id: 'f2', email: ['x'] }]);
    const res = await hooks.post('sendgrid', body, signed(body));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: '/0/email', message: '/0/email must be string' }]);
  });

  test('a verification key that is not the base64 DER key of a P-256 key is refused at /data/webhookPublicKey', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const notP256 = rsa.export({ type: 'spki', format: 'der' }).toString('base64');
    for (const webhookPublicKey of ['not a key', notP256, `-----BEGIN PUBLIC KEY-----\n${notP256}`]) {
      const res = await hooks.t.app.inject({
        method: 'POST',
        url: '/api/credentials',
        headers: hooks.t.auth,
        payload: { name: 'SendGrid', type: 'sendgrid.account', data: { apiKey: 'SG.y', webhookPublicKey } },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({
        code: 'validation_failed',
        details: [expect.objectContaining({ path: '/data/webhookPublicKey' })],
      });
    }
  });

  test('a signed event whose email holds a NUL character is 400 naming it', async () => {
    const body = JSON.stringify([
      { event: 'bounce', sg_event_id: 'f3', email: 'a\u0000b@example.com', type: 'bounce' },
    ]);
    const res = await hooks.post('sendgrid', body, signed(body));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ message: 'event 0: recipient holds a NUL character' }],
    });
  });
});
