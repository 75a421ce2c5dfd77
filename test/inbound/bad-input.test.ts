import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inboundStats } from '../../engine/inbound/stats.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import {
  composeMail,
  eventsOf,
  type InboundTest,
  inboundApp,
  postMail,
  replyTo,
  SECRET,
  sendToNewContact,
} from './support.js';

let t: InboundTest;
beforeAll(async () => {
  t = await inboundApp();
});
afterAll(() => t.close());

const hello = () =>
  composeMail({ from: 'ann@example.com', to: 'sales@elsewhere.example', subject: 'Hello', text: 'Hi there' });

describe('the inbound webhook refuses what it cannot take', () => {
  test('a wrong secret answers 401', async () => {
    const res = await postMail(t, await hello(), { 'x-waymark-secret': `${SECRET}-wrong` });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
  });

  test('a missing secret answers 401', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/hooks/inbound-email',
      headers: { 'content-type': 'message/rfc822' },
      payload: await hello(),
    });
    expect(res.statusCode).toBe(401);
  });

  test('an empty body answers 400 naming the problem', async () => {
    const res = await postMail(t, '');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/empty/) });
  });

  test('a body with no header section answers 400 naming the problem', async () => {
    const res = await postMail(t, 'just some words, no headers at all');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/no header section/);
  });

  test('a message without a From address answers 400 naming the problem', async () => {
    const res = await postMail(t, 'Subject: Hi\r\nTo: someone@example.com\r\n\r\nHello');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/no From address/);
  });

  test('a body that is not message/rfc822 answers 415', async () => {
    const res = await postMail(t, JSON.stringify({ text: 'hi' }), { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('unsupported_media_type');
  });

  test('a message over 10 MiB answers 413', async () => {
    const res = await postMail(t, `From: a@example.com\r\n\r\n${'x'.repeat(10 * 1024 * 1024 + 1)}`);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
  });
});

describe('mail for an unknown recipient', () => {
  test('answers 202 so that the provider does not retry, records nothing and is counted', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'unknown-rcpt@example.com');
    const before = inboundStats(t.runtime).counts.unmatched;
    // It answers our email by its headers, but is addressed elsewhere: not ours to take.
    const res = await postMail(t, await replyTo(sent, { to: 'sales@elsewhere.example', text: 'Hello' }));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ outcome: 'unmatched', reason: expect.stringMatching(/recipient/) });
    expect(await eventsOf(t, contactId, 'email.replied')).toEqual([]);
    expect(inboundStats(t.runtime).counts.unmatched).toBe(before + 1);
  });
});

describe('without INBOUND_SECRET', () => {
  let off: TestApp;
  beforeAll(async () => {
    off = await createTestApp();
  });
  afterAll(() => off.close());

  test('the inbound webhook answers 401 and says inbound email is off', async () => {
    const res = await postMail(off, await hello());
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toMatch(/INBOUND_SECRET/);
  });
});
