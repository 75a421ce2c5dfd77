import { describe, expect, test } from 'vitest';
import { eventsOf, insertContact } from '../../channels/scope.js';
import { providerHookApp } from './support.js';

const hooks = providerHookApp();

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
    await hooks.credential('postmark.server', { serverToken: 'pm' });
    const empty = { authorization: `Basic ${Buffer.from(':').toString('base64')}` };
    const res = await hooks.post('postmark', JSON.stringify(complaint('x@example.com', 'm')), empty);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
    await hooks.credential('postmark.server', {
      serverToken: 'pm',
      webhookUsername: 'hooks',
      webhookPassword: 's3cret-pass',
    });
  });

  test('the bounce sample records a hard bounce and marks the address undeliverable', async () => {
    const { contactId, email, messageId } = await hooks.sent('883953f4-6105-42a2-a16a-77a8eac79483');
    const res = await hooks.post('postmark', JSON.stringify(bounce(email, 'other-id', messageId)), login);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ recorded: 1, duplicates: 0, unmatched: 0, ignored: 0 });
    const [event] = await eventsOf(hooks.t.runtime, contactId, 'email.bounced');
    expect(event?.properties).toEqual({
      messageId,
      nodeId: 'mail',
      kind: 'hard',
      status: 'HardBounce',
      provider: 'postmark',
    });
    expect((await hooks.contact(contactId)).emailUndeliverable).toMatchObject({
      reason: 'bounced',
      status: 'HardBounce',
    });
    expect(await hooks.mailAgain(contactId, 'transactional')).toMatchObject({
      status: 'suppressed',
      reason: 'bounced',
    });
  });

  test('the same bounce delivered twice is recorded once', async () => {
    const { contactId, email, messageId } = await hooks.sent('pm-replay');
    const body = JSON.stringify({ ...bounce(email, 'pm-replay', messageId), ID: 777 });
    await hooks.post('postmark', body, login);
    const again = await hooks.post('postmark', body, login);
    expect(again.json()).toEqual({ recorded: 0, duplicates: 1, unmatched: 0, ignored: 0 });
    expect(await eventsOf(hooks.t.runtime, contactId, 'email.bounced')).toHaveLength(1);
  });

  test('a bounce delivered again after the address was declared deliverable suppresses nothing', async () => {
    const { contactId, email, messageId } = await hooks.sent('pm-replay-later');
    const body = JSON.stringify({ ...bounce(email, 'pm-replay-later', messageId), ID: 778 });
    await hooks.post('postmark', body, login);
    const declared = await hooks.t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: hooks.t.auth,
      payload: { email, emailUndeliverable: null },
    });
    expect(declared.json().emailUndeliverable).toBeNull();
    const again = await hooks.post('postmark', body, login);
    expect(again.json()).toEqual({ recorded: 0, duplicates: 1, unmatched: 0, ignored: 0 });
    expect((await hooks.contact(contactId)).emailUndeliverable).toBeNull();
    expect(await hooks.mailAgain(contactId)).toMatchObject({ status: 'sent' });
  });

  test('three soft bounces in a row mark the address undeliverable; two do not', async () => {
    const { contactId, email, messageId } = await hooks.sent('pm-soft-1');
    const soft = (waymark: string, id: number) =>
      JSON.stringify({ ...bounce(email, 'pm-soft', waymark), ID: id, Type: 'SoftBounce', Inactive: false });
    const second = await hooks.mailAgain(contactId);
    expect((await hooks.post('postmark', soft(messageId, 901), login)).json()).toMatchObject({ recorded: 1 });
    expect((await hooks.post('postmark', soft(second.messageId, 902), login)).json()).toMatchObject({ recorded: 1 });
    expect((await hooks.contact(contactId)).emailUndeliverable).toBeNull();
    const third = await hooks.mailAgain(contactId);
    expect(third).toMatchObject({ status: 'sent' });
    expect((await hooks.post('postmark', soft(third.messageId, 903), login)).json()).toMatchObject({ recorded: 1 });
    expect((await hooks.contact(contactId)).emailUndeliverable).toMatchObject({ reason: 'bounced' });
    expect(await hooks.mailAgain(contactId)).toMatchObject({ status: 'suppressed', reason: 'bounced' });
    // Each event says what Postmark said: soft, the third too.
    const kinds = (await eventsOf(hooks.t.runtime, contactId, 'email.bounced')).map(
      (e) => (e.properties as { kind?: string }).kind,
    );
    expect(kinds).toEqual(['soft', 'soft', 'soft']);
  });

  test("a bounce naming the outbox's provider id matches no message the outbox kept", async () => {
    const kept = await hooks.mailAgain(await insertContact(hooks.t.runtime, { email: 'kept@example.com' }));
    expect(kept).toMatchObject({ status: 'sent' });
    const body = JSON.stringify(bounce('nobody-at-all@example.net', 'outbox', 'not-a-waymark-id'));
    expect((await hooks.post('postmark', body, login)).json()).toEqual({
      recorded: 0,
      duplicates: 0,
      unmatched: 1,
      ignored: 0,
    });
  });

  test('an event of a message with no contact, sent again, is counted once and its repeat as a duplicate', async () => {
    const { messageId } = await hooks.sentToAddress('pm-bare', 'bare@example.com');
    const body = JSON.stringify({ ...bounce('bare@example.com', 'pm-bare', messageId), ID: 904 });
    expect((await hooks.post('postmark', body, login)).json()).toEqual({
      recorded: 1,
      duplicates: 0,
      unmatched: 0,
      ignored: 0,
    });
    expect((await hooks.post('postmark', body, login)).json()).toEqual({
      recorded: 0,
      duplicates: 1,
      unmatched: 0,
      ignored: 0,
    });
  });

  test('the complaint sample unsubscribes the contact at once; marketing is suppressed, transactional goes', async () => {
    const { contactId, email, messageId } = await hooks.sent('pm-complained');
    const res = await hooks.post('postmark', JSON.stringify(complaint(email, 'pm-complained')), login);
    expect(res.json()).toMatchObject({ recorded: 1 });
    const [event] = await eventsOf(hooks.t.runtime, contactId, 'email.complained');
    expect(event?.properties).toEqual({ messageId, nodeId: 'mail', provider: 'postmark' });
    const person = await hooks.contact(contactId);
    expect(person.consent.email).toMatchObject({ status: 'unsubscribed', source: 'complaint' });
    const [changed] = await eventsOf(hooks.t.runtime, contactId, 'consent.changed');
    expect(changed?.properties).toMatchObject({ channel: 'email', status: 'unsubscribed', source: 'complaint' });
    expect(await hooks.mailAgain(contactId)).toMatchObject({ status: 'suppressed', reason: 'complained' });
    expect(await hooks.mailAgain(contactId, 'transactional')).toMatchObject({ status: 'sent' });
  });

  test('a delivery is matched by its MessageID', async () => {
    const { contactId, messageId } = await hooks.sent('pm-delivered');
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
    expect((await hooks.post('postmark', JSON.stringify(delivery), login)).json()).toMatchObject({ recorded: 1 });
    const [event] = await eventsOf(hooks.t.runtime, contactId, 'email.delivered');
    expect(event?.properties).toEqual({ messageId, nodeId: 'mail', provider: 'postmark' });
  });

  test('IDs past 2^53 stay apart (read from the raw body, not rounded)', async () => {
    const { contactId, email, messageId } = await hooks.sent('pm-big-ids');
    const sample = JSON.stringify({ ...bounce(email, 'pm-big-ids', messageId), Type: 'SoftBounce', Inactive: false });
    const first = sample.replace('"ID":4323372036', '"ID":4323372036854775807');
    const second = sample.replace('"ID":4323372036', '"ID":4323372036854775806');
    expect((await hooks.post('postmark', first, login)).json()).toMatchObject({ recorded: 1, duplicates: 0 });
    expect((await hooks.post('postmark', second, login)).json()).toMatchObject({ recorded: 1, duplicates: 0 });
    expect(await eventsOf(hooks.t.runtime, contactId, 'email.bounced')).toHaveLength(2);
  });

  test('a bounce for an unknown address and message is counted unmatched', async () => {
    const res = await hooks.post('postmark', JSON.stringify(bounce('nobody@example.net', 'nope', 'nope')), login);
    expect(res.json()).toEqual({ recorded: 0, duplicates: 0, unmatched: 1, ignored: 0 });
  });

  test('an Open record is ignored', async () => {
    const open = { RecordType: 'Open', MessageID: 'x', Recipient: 'john@example.com' };
    expect((await hooks.post('postmark', JSON.stringify(open), login)).json()).toMatchObject({ ignored: 1 });
  });

  test('a wrong password is 401 and records nothing', async () => {
    const { contactId, email, messageId } = await hooks.sent('pm-forged');
    const forged = { authorization: `Basic ${Buffer.from('hooks:guess').toString('base64')}` };
    const res = await hooks.post('postmark', JSON.stringify(bounce(email, 'pm-forged', messageId)), forged);
    expect(res.statusCode).toBe(401);
    expect(await eventsOf(hooks.t.runtime, contactId, 'email.bounced')).toHaveLength(0);
    expect((await hooks.contact(contactId)).emailUndeliverable).toBeNull();
  });

  // RFC 9110 §11.1: an authentication scheme is matched case-insensitively.
  test.each([
    ['basic', 501],
    ['BASIC', 502],
    ['Basic ', 503],
  ])('the scheme written %j is the same login', async (scheme, ID) => {
    const { contactId, email } = await hooks.sent(`pm-scheme-${ID}`);
    const written = { authorization: `${scheme} ${Buffer.from('hooks:s3cret-pass').toString('base64')}` };
    const res = await hooks.post('postmark', JSON.stringify({ ...complaint(email, `pm-scheme-${ID}`), ID }), written);
    expect(res.json()).toMatchObject({ recorded: 1 });
    expect((await hooks.contact(contactId)).consent.email.status).toBe('unsubscribed');
  });

  test('another scheme with the same credentials is 401', async () => {
    const bearer = { authorization: `Bearer ${Buffer.from('hooks:s3cret-pass').toString('base64')}` };
    expect((await hooks.post('postmark', JSON.stringify(complaint('a@example.com', 'm')), bearer)).statusCode).toBe(
      401,
    );
  });

  test('no Authorization header is 401', async () => {
    const res = await hooks.post('postmark', JSON.stringify(complaint('a@example.com', 'm')));
    expect(res.statusCode).toBe(401);
  });

  test('a body that is not JSON is 400 invalid_json', async () => {
    const res = await hooks.post('postmark', '{"RecordType":', login);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_json');
  });

  test('a JSON body after a byte order mark is read as the JSON', async () => {
    const { contactId, email } = await hooks.sent('pm-bom');
    // An ID of its own: a record's ID is its nonce, and the samples' 42 is taken.
    const record = { ...complaint(email, 'pm-bom'), ID: 4242 };
    const res = await hooks.post('postmark', `\uFEFF${JSON.stringify(record)}`, login);
    expect(res.json()).toMatchObject({ recorded: 1 });
    expect(await eventsOf(hooks.t.runtime, contactId, 'email.complained')).toHaveLength(1);
  });

  test('JSON that is no Postmark record is 400', async () => {
    const res = await hooks.post('postmark', JSON.stringify({ hello: 'world' }), login);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
  });

  test('a body of JSON null is 400, before any login is asked', async () => {
    const res = await hooks.post('postmark', 'null');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '' }] });
  });

  test('a record whose Email is no string is 400 naming it', async () => {
    const res = await hooks.post('postmark', JSON.stringify({ ...complaint('a@example.com', 'm'), Email: 5 }), login);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: '/Email', message: '/Email must be string' }]);
  });

  test('a body over 1 MiB is 413', async () => {
    const res = await hooks.post(
      'postmark',
      JSON.stringify({ RecordType: 'Open', pad: 'x'.repeat(1024 * 1024) }),
      login,
    );
    expect(res.statusCode).toBe(413);
  });
});

describe('provider webhooks in general', () => {
  test('an unknown provider is 404', async () => {
    const res = await hooks.post('acme-mail', '{}');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });
});
