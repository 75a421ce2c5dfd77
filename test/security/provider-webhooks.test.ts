import { createHmac, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { providerHookApp } from '../sending/webhooks/support.js';

// Mailgun signs only `timestamp + token` (documentation.mailgun.com, "Securing webhooks"), not
// the event beside them: whoever once sees a signature block (a log, a request bin, another
// endpoint of the same Mailgun account) could put any event under it. Mailgun's advice is to
// honour a token once; here a signed timestamp + token signs one event, whatever request carries it.

const hooks = providerHookApp();
const KEY = 'key-mailgun-signing-security-0123456789';

beforeAll(async () => {
  await hooks.credential('mailgun.domain', { apiKey: 'k', domain: 'mg.example.com', webhookSigningKey: KEY });
});

type Signature = { timestamp: string; token: string; signature: string };

/**
 * A signature block as Mailgun makes one: a fresh 50-character token, signed with the
 * domain's key, made now or `secondsAgo`.
 */
function signature(secondsAgo = 0): Signature {
  const timestamp = String(Math.floor(Date.now() / 1000) - secondsAgo);
  const token = randomBytes(25).toString('hex');
  return {
    timestamp,
    token,
    signature: createHmac('sha256', KEY)
      .update(timestamp + token)
      .digest('hex'),
  };
}

const webhook = (sig: Signature, event: Record<string, unknown>) =>
  JSON.stringify({ signature: sig, 'event-data': event });

const delivered = (id: string, email: string, providerId: string) => ({
  id,
  event: 'delivered',
  recipient: email,
  message: { headers: { 'message-id': providerId } },
});
const complained = (id: string, email: string) => ({ id, event: 'complained', recipient: email });

describe('a Mailgun signature seen once', () => {
  test('cannot carry an event it did not sign: another contact is not unsubscribed', async () => {
    const seen = await hooks.sent('sec-seen@mg.example.com');
    const victim = await hooks.sent('sec-victim@mg.example.com');
    const sig = signature();
    const genuine = await hooks.post(
      'mailgun',
      webhook(sig, delivered('ev-genuine-1', seen.email, 'sec-seen@mg.example.com')),
    );
    expect(genuine.json()).toEqual({ recorded: 1, duplicates: 0, unmatched: 0, ignored: 0 });

    const forged = await hooks.post('mailgun', webhook(sig, complained('ev-forged-1', victim.email)));
    expect(forged.statusCode).toBe(401);
    expect(forged.json().error.code).toBe('unauthorized');
    expect((await hooks.contact(victim.contactId)).consent.email.status).not.toBe('unsubscribed');
  });

  test('cannot carry a hard bounce either: the address stays deliverable', async () => {
    const seen = await hooks.sent('sec-seen2@mg.example.com');
    const victim = await hooks.sent('sec-victim2@mg.example.com');
    const sig = signature();
    await hooks.post('mailgun', webhook(sig, delivered('ev-genuine-2', seen.email, 'sec-seen2@mg.example.com')));
    const bounce = { id: 'ev-forged-2', event: 'failed', severity: 'permanent', recipient: victim.email };
    expect((await hooks.post('mailgun', webhook(sig, bounce))).statusCode).toBe(401);
    expect((await hooks.contact(victim.contactId)).emailUndeliverable ?? null).toBeNull();
  });

  test('used first by someone else, serves them once and then no other event', async () => {
    const one = await hooks.sent('sec-one@mg.example.com');
    const two = await hooks.sent('sec-two@mg.example.com');
    const sig = signature();
    expect((await hooks.post('mailgun', webhook(sig, complained('ev-first-3', one.email)))).statusCode).toBe(200);
    expect((await hooks.post('mailgun', webhook(sig, complained('ev-second-3', two.email)))).statusCode).toBe(401);
    expect((await hooks.contact(two.contactId)).consent.email.status).not.toBe('unsubscribed');
  });

  test('concurrent requests under one signature with different events: one is taken', async () => {
    const people = await Promise.all([1, 2, 3, 4, 5].map((i) => hooks.sent(`sec-race${i}@mg.example.com`)));
    const sig = signature();
    const answers = await Promise.all(
      people.map((p, i) => hooks.post('mailgun', webhook(sig, complained(`ev-race-${i}`, p.email)))),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 401, 401, 401, 401]);
  });
});

describe('what Mailgun itself sends keeps working', () => {
  test('the same event delivered again under the same signature is a duplicate, not refused', async () => {
    const p = await hooks.sent('sec-again@mg.example.com');
    const body = webhook(signature(), delivered('ev-again-1', p.email, 'sec-again@mg.example.com'));
    expect((await hooks.post('mailgun', body)).json()).toMatchObject({ recorded: 1 });
    const again = await hooks.post('mailgun', body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ recorded: 0, duplicates: 1 });
  });

  test('the same event signed anew (a retry) is a duplicate', async () => {
    const p = await hooks.sent('sec-retry@mg.example.com');
    const event = delivered('ev-retry-1', p.email, 'sec-retry@mg.example.com');
    expect((await hooks.post('mailgun', webhook(signature(), event))).json()).toMatchObject({ recorded: 1 });
    expect((await hooks.post('mailgun', webhook(signature(), event))).json()).toMatchObject({ duplicates: 1 });
  });

  test('different events under different signatures are each recorded', async () => {
    const a = await hooks.sent('sec-a@mg.example.com');
    const b = await hooks.sent('sec-b@mg.example.com');
    expect((await hooks.post('mailgun', webhook(signature(), complained('ev-a', a.email)))).json()).toMatchObject({
      recorded: 1,
    });
    expect((await hooks.post('mailgun', webhook(signature(), complained('ev-b', b.email)))).json()).toMatchObject({
      recorded: 1,
    });
    expect((await hooks.contact(b.contactId)).consent.email.status).toBe('unsubscribed');
  });
});

// Mailgun signs the string timestamp + token: a block whose split point is moved (a digit of the
// token made the timestamp's last) signs the same string, so it is the same signature.
describe('a Mailgun signature block reshaped', () => {
  const moved = (sig: Signature, by: number): Signature => ({
    timestamp: sig.timestamp + sig.token.slice(0, by),
    token: sig.token.slice(by),
    signature: sig.signature,
  });

  test('with its split point moved carries no other event: nobody is unsubscribed', async () => {
    const seen = await hooks.sent('sec-split@mg.example.com');
    const victims = await Promise.all([1, 2, 3].map((i) => hooks.sent(`sec-split-victim${i}@mg.example.com`)));
    // A token of digits would make every moved timestamp all digits too.
    const sig = { ...signature(), token: '1'.repeat(50) };
    sig.signature = createHmac('sha256', KEY)
      .update(sig.timestamp + sig.token)
      .digest('hex');
    const genuine = await hooks.post(
      'mailgun',
      webhook(sig, delivered('ev-split', seen.email, 'sec-split@mg.example.com')),
    );
    expect(genuine.json()).toMatchObject({ recorded: 1 });
    for (const [i, victim] of victims.entries()) {
      const forged = await hooks.post('mailgun', webhook(moved(sig, i + 1), complained(`ev-split-${i}`, victim.email)));
      expect(forged.statusCode).toBe(401);
      expect((await hooks.contact(victim.contactId)).consent.email.status).not.toBe('unsubscribed');
    }
  });

  test('moved before it was ever used is refused all the same', async () => {
    const victim = await hooks.sent('sec-split-first@mg.example.com');
    const forged = await hooks.post(
      'mailgun',
      webhook(moved(signature(), 1), complained('ev-split-first', victim.email)),
    );
    expect(forged.statusCode).toBe(401);
  });

  test.each([
    ['a timestamp that is not all digits', { timestamp: '1.7e9' }],
    ['a token over 256 characters', { token: 'a'.repeat(257) }],
  ])('with %s is 401, though signed with the key', async (label, change) => {
    const victim = await hooks.sent(`sec-shape-${label.replace(/\W/g, '-')}@mg.example.com`);
    const fields = { ...signature(), ...change };
    const sig = {
      ...fields,
      signature: createHmac('sha256', KEY)
        .update(fields.timestamp + fields.token)
        .digest('hex'),
    };
    const res = await hooks.post('mailgun', webhook(sig, complained(`ev-shape-${victim.messageId}`, victim.email)));
    expect(res.statusCode).toBe(401);
    expect((await hooks.contact(victim.contactId)).consent.email.status).not.toBe('unsubscribed');
  });
});

// The contract asks of a block only that its signature be the HMAC of timestamp + token.
describe('a Mailgun signature block of another token length', () => {
  test.each([
    ['a token of 32 characters', 'f'.repeat(32)],
    ['a one-character token', 'x'],
  ])('with %s is taken for its event', async (label, token) => {
    const p = await hooks.sent(`sec-token-${label.replace(/\W/g, '-')}@mg.example.com`);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const sig = {
      timestamp,
      token,
      signature: createHmac('sha256', KEY)
        .update(timestamp + token)
        .digest('hex'),
    };
    const res = await hooks.post('mailgun', webhook(sig, complained(`ev-token-${p.messageId}`, p.email)));
    expect(res.json()).toMatchObject({ recorded: 1 });
    expect((await hooks.contact(p.contactId)).consent.email.status).toBe('unsubscribed');
  });
});

// Mailgun retries a webhook it could not hand over for 8 hours, and may send its first signature
// again; a block older than that, or made well ahead of our clock, is no request of Mailgun's.
describe('the time a Mailgun signature was made', () => {
  test('an hour-old one (a retry) is taken for its event', async () => {
    const p = await hooks.sent('sec-late@mg.example.com');
    const late = await hooks.post('mailgun', webhook(signature(3600), complained('ev-late', p.email)));
    expect(late.statusCode).toBe(200);
    expect(late.json()).toMatchObject({ recorded: 1 });
  });

  test.each([
    ['more than 9 hours ago', 9 * 3600 + 60],
    ['a day ago', 24 * 3600],
    ['more than 5 minutes from now', -6 * 60],
  ])('one made %s is 401 and changes nothing', async (_, secondsAgo) => {
    const victim = await hooks.sent(`sec-stale-${secondsAgo}@mg.example.com`);
    const res = await hooks.post(
      'mailgun',
      webhook(signature(secondsAgo), complained(`ev-stale-${secondsAgo}`, victim.email)),
    );
    expect(res.statusCode).toBe(401);
    expect((await hooks.contact(victim.contactId)).consent.email.status).not.toBe('unsubscribed');
  });
});
