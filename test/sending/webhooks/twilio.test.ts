import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { eventsOf } from '../../channels/scope.js';
import { PUBLIC_URL, providerHookApp } from './support.js';

const hooks = providerHookApp();

describe('Twilio (X-Twilio-Signature over the URL and sorted fields)', () => {
  const authToken = 'twilio-auth-token-0123456789abcd';
  beforeAll(async () => {
    await hooks.credential('twilio.account', { accountSid: `AC${'c'.repeat(32)}`, authToken, from: '+15005550006' });
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
    const { contactId, messageId } = await hooks.sent('SM0001', 'sms');
    const { body, headers } = signedForm(callback('SM0001', 'undelivered'));
    const res = await hooks.post('twilio', body, headers);
    expect(res.json()).toEqual({ recorded: 1, duplicates: 0, unmatched: 0, ignored: 0 });
    const [failed] = await eventsOf(hooks.t.runtime, contactId, 'sms.failed');
    expect(failed?.properties).toEqual({ messageId, nodeId: 'mail', provider: 'twilio', code: '30003' });
  });

  test('a delivered callback records sms.delivered; sent is ignored', async () => {
    const { contactId } = await hooks.sent('SM0002', 'sms');
    const { ErrorCode: _none, ...delivered } = callback('SM0002', 'delivered');
    const one = signedForm(delivered);
    expect((await hooks.post('twilio', one.body, one.headers)).json()).toMatchObject({ recorded: 1 });
    expect(await eventsOf(hooks.t.runtime, contactId, 'sms.delivered')).toHaveLength(1);
    const sentStatus = signedForm(callback('SM0002', 'sent'));
    expect((await hooks.post('twilio', sentStatus.body, sentStatus.headers)).json()).toMatchObject({ ignored: 1 });
  });

  test('a callback signed with another token is 401', async () => {
    const { body, headers } = signedForm(callback('SM0003', 'failed'), 'not-the-token');
    expect((await hooks.post('twilio', body, headers)).statusCode).toBe(401);
  });

  test('a field changed after signing is 401', async () => {
    const { headers } = signedForm(callback('SM0004', 'delivered'));
    const changed = new URLSearchParams(callback('SM0004', 'failed')).toString();
    expect((await hooks.post('twilio', changed, headers)).statusCode).toBe(401);
  });
});
