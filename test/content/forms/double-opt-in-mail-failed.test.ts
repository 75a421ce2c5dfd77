import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RawSmtpServer, startRawSmtpServer } from '../../sending/smtp-server.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
let smtp: RawSmtpServer;
let down = true;
beforeAll(async () => {
  smtp = await startRawSmtpServer({
    onMailFrom(_address, _session, callback) {
      if (!down) return callback();
      callback(Object.assign(new Error('service not available'), { responseCode: 421 }));
    },
  });
  t = await createTestApp({ PUBLIC_URL: 'https://forms.example.com', SMTP_URL: smtp.url });
  await t.app.inject({
    method: 'PUT',
    url: '/api/forms/news',
    headers: t.auth,
    payload: {
      name: 'News',
      fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
      consentText: 'Send me news',
      doubleOptIn: true,
      confirmationFrom: 'news@example.com',
    },
  });
});
afterAll(async () => {
  await t.close();
  await smtp.close();
});

const signup = (email: string) => t.app.inject({ method: 'POST', url: '/f/news', payload: { email, _consent: true } });

describe('a confirmation mail the mail server did not take', () => {
  test('does not hold back the next signup of that address: a repeat sends the mail', async () => {
    expect((await signup('retry@example.com')).statusCode).toBe(202);
    expect(smtp.raws).toHaveLength(0);
    down = false;
    expect((await signup('retry@example.com')).statusCode).toBe(202);
    const [raw] = await smtp.waitFor(1);
    expect(String(raw)).toContain('https://forms.example.com/f/confirm/');
  });

  test('one it took still holds back a repeat within 10 minutes', async () => {
    down = false;
    const before = smtp.raws.length;
    await signup('once@example.com');
    await smtp.waitFor(before + 1);
    await signup('once@example.com');
    expect(smtp.raws).toHaveLength(before + 1);
  });
});
