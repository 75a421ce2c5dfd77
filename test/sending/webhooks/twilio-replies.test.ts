import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { eventsOf } from '../../channels/scope.js';
import { PUBLIC_URL, providerHookApp } from './support.js';

const hooks = providerHookApp();
const authToken = 'twilio-auth-token-0123456789abcd';
const ourNumber = '+15005550006';

/** An incoming message as Twilio posts it to the number's webhook (twilio.com/docs/messaging/guides/webhook-request). */
function reply(sid: string, from: string, body: string, extra: Record<string, string> = {}) {
  const fields: Record<string, string> = {
    AccountSid: `AC${'c'.repeat(32)}`,
    ApiVersion: '2010-04-01',
    Body: body,
    From: from,
    MessageSid: sid,
    NumMedia: '0',
    SmsMessageSid: sid,
    SmsSid: sid,
    SmsStatus: 'received',
    To: ourNumber,
    ...extra,
  };
  return post(fields);
}

/** Posts a form to the Twilio webhook signed as Twilio signs it. */
function post(fields: Record<string, string>) {
  const signed = Object.keys(fields)
    .sort()
    .map((k) => k + fields[k])
    .join('');
  const signature = createHmac('sha1', authToken)
    .update(`${PUBLIC_URL}/hooks/providers/twilio${signed}`)
    .digest('base64');
  return hooks.post('twilio', new URLSearchParams(fields).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
    'x-twilio-signature': signature,
  });
}

async function contactWithPhone(phone: string): Promise<string> {
  const res = await hooks.t.app.inject({
    method: 'POST',
    url: '/api/contacts',
    headers: hooks.t.auth,
    payload: { phone },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

async function smsConsent(contactId: string) {
  const res = await hooks.t.app.inject({ method: 'GET', url: `/api/contacts/${contactId}`, headers: hooks.t.auth });
  return res.json().consent.sms;
}

describe('SMS replies to a Twilio number: STOP and START', () => {
  beforeAll(async () => {
    await hooks.credential('twilio.account', { accountSid: `AC${'c'.repeat(32)}`, authToken, from: ourNumber });
  });

  test('a STOP reply unsubscribes the sender’s number, recorded as sms.opted-out and consent.changed', async () => {
    const contactId = await contactWithPhone('+358401110001');
    const res = await reply('SM1001', '+358401110001', ' stop ');
    expect(res.statusCode).toBe(200);
    expect(await smsConsent(contactId)).toMatchObject({ status: 'unsubscribed', source: 'sms-reply' });
    const [stopped] = await eventsOf(hooks.t.runtime, contactId, 'sms.opted-out');
    expect(stopped?.properties).toEqual({ messageId: null, nodeId: null, provider: 'twilio', keyword: 'STOP' });
    expect(await eventsOf(hooks.t.runtime, contactId, 'consent.changed')).toHaveLength(1);
  });

  test('every default opt-out word counts, and START (or YES, UNSTOP) subscribes the number again', async () => {
    const contactId = await contactWithPhone('+358401110002');
    let sid = 2000;
    for (const word of ['STOPALL', 'unsubscribe', 'Cancel', 'END', 'QUIT', 'REVOKE', 'OPTOUT']) {
      await reply(`SM${sid++}`, '+358401110002', 'START');
      expect((await reply(`SM${sid++}`, '+358401110002', word)).statusCode).toBe(200);
      expect((await smsConsent(contactId)).status).toBe('unsubscribed');
    }
    for (const word of ['START', 'yes', 'Unstop']) {
      await reply(`SM${sid++}`, '+358401110002', 'STOP');
      expect((await reply(`SM${sid++}`, '+358401110002', word)).statusCode).toBe(200);
      expect(await smsConsent(contactId)).toMatchObject({ status: 'subscribed', source: 'sms-reply' });
    }
  });

  test('Advanced Opt-Out’s OptOutType decides over the words, so a custom keyword counts', async () => {
    const contactId = await contactWithPhone('+358401110003');
    await reply('SM3001', '+358401110003', 'ARRET', { OptOutType: 'STOP' });
    expect((await smsConsent(contactId)).status).toBe('unsubscribed');
    const [stopped] = await eventsOf(hooks.t.runtime, contactId, 'sms.opted-out');
    expect(stopped?.properties).toMatchObject({ keyword: 'STOP' });
    // HELP changes nothing.
    expect((await reply('SM3002', '+358401110003', 'INFO', { OptOutType: 'HELP' })).statusCode).toBe(200);
    expect((await smsConsent(contactId)).status).toBe('unsubscribed');
    expect(await eventsOf(hooks.t.runtime, contactId, 'sms.opted-out')).toHaveLength(1);
  });

  test('any other reply is ignored: a sentence holding the word is no keyword', async () => {
    const contactId = await contactWithPhone('+358401110004');
    expect((await reply('SM4001', '+358401110004', 'please stop texting me')).statusCode).toBe(200);
    expect((await smsConsent(contactId)).status).toBe('unknown');
    expect(await eventsOf(hooks.t.runtime, contactId, 'sms.opted-out')).toHaveLength(0);
  });

  test('the same reply delivered twice is recorded once', async () => {
    const contactId = await contactWithPhone('+358401110005');
    await reply('SM5001', '+358401110005', 'STOP');
    expect((await reply('SM5001', '+358401110005', 'STOP')).statusCode).toBe(200);
    expect(await eventsOf(hooks.t.runtime, contactId, 'sms.opted-out')).toHaveLength(1);
  });

  test('a number no contact holds is unmatched, and a forged reply is 401', async () => {
    expect((await reply('SM6001', '+358401119999', 'STOP')).statusCode).toBe(200);
    const forged = await hooks.post(
      'twilio',
      new URLSearchParams({ MessageSid: 'SM6002', Body: 'STOP', From: '+358401110001' }).toString(),
      {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': 'bm90LWEtc2lnbmF0dXJl',
      },
    );
    expect(forged.statusCode).toBe(401);
  });
});

// Twilio expects TwiML in answer to an incoming message (twilio.com/docs/usage/webhooks/messaging-webhooks);
// anything else is logged as error 12300 (Invalid Content-Type). An empty <Response> sends no reply:
// Twilio itself confirms a STOP.
describe('the answer to an incoming message', () => {
  const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

  test('a STOP reply is answered 200 text/xml with an empty TwiML response', async () => {
    await contactWithPhone('+358401110007');
    const res = await reply('SM7001', '+358401110007', 'STOP');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.body).toBe(EMPTY_TWIML);
  });

  test('so is any other reply, an unknown number and a repeat', async () => {
    await contactWithPhone('+358401110008');
    for (const res of [
      await reply('SM8001', '+358401110008', 'What is this?'),
      await reply('SM8002', '+358401118888', 'STOP'),
      await reply('SM8002', '+358401118888', 'STOP'),
    ]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/xml/);
      expect(res.body).toBe(EMPTY_TWIML);
    }
  });

  test('a status callback keeps its JSON counts (Twilio ignores that body)', async () => {
    const res = await post({ AccountSid: `AC${'c'.repeat(32)}`, MessageSid: 'SM9001', MessageStatus: 'sent' });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ recorded: 0, duplicates: 0, unmatched: 0, ignored: 1 });
  });
});
