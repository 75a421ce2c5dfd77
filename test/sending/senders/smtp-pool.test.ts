import type { PreparedMessage } from '@waymark/sdk';
import { afterEach, describe, expect, test } from 'vitest';
import { smtpDeliver } from '../../../nodes/email/src/smtp-deliver.js';
import { closeSmtpPools } from '../../../nodes/email/src/smtp-pools.js';
import { type RawSmtpServer, startRawSmtpServer } from '../smtp-server.js';

const servers: RawSmtpServer[] = [];
async function server(options: Parameters<typeof startRawSmtpServer>[0] = {}) {
  const s = await startRawSmtpServer(options);
  servers.push(s);
  return s;
}
afterEach(async () => {
  closeSmtpPools();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const message = (i: number): PreparedMessage => ({
  messageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  channel: 'email',
  to: `c${i}@example.org`,
  from: 'News <news@example.com>',
  subject: `Hello ${i}`,
  html: '<p>Hi</p>',
  headers: {},
});

/** The rejection of a delivery, to inspect its message and retryability. */
async function failureOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error as Error & { retryable: boolean };
  }
  throw new Error('the delivery did not fail');
}

describe('pooled SMTP through an email.smtp credential', () => {
  test('2,000 emails reuse a handful of connections', async () => {
    const smtp = await server();
    const deliver = smtpDeliver({ host: smtp.host, port: smtp.port, requireTLS: false });
    const results = await Promise.all(Array.from({ length: 2000 }, (_, i) => deliver(message(i))));
    expect(results).toHaveLength(2000);
    expect(smtp.raws).toHaveLength(2000);
    // Five connections per credential by default, each replaced after 1,000 messages at most.
    expect(smtp.connections()).toBeGreaterThanOrEqual(1);
    expect(smtp.connections()).toBeLessThanOrEqual(5);
  });

  test('maxConnections bounds the connections a worker opens', async () => {
    const smtp = await server();
    const deliver = smtpDeliver({ host: smtp.host, port: smtp.port, requireTLS: false, maxConnections: 2 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => deliver(message(i))));
    expect(smtp.raws).toHaveLength(200);
    expect(smtp.connections()).toBeLessThanOrEqual(2);
  });

  test('pool: false opens one connection per message', async () => {
    const smtp = await server();
    const deliver = smtpDeliver({ host: smtp.host, port: smtp.port, requireTLS: false, pool: false });
    for (let i = 0; i < 3; i++) await deliver(message(i));
    expect(smtp.connections()).toBe(3);
  });

  test('a server without STARTTLS fails the step smtp.tls-required and nothing is sent', async () => {
    const smtp = await server();
    const error = await failureOf(smtpDeliver({ host: smtp.host, port: smtp.port })(message(1)));
    expect(error.message).toMatch(/^smtp\.tls-required: /);
    expect(error.retryable).toBe(false);
    expect(smtp.raws).toHaveLength(0);
  });

  test('a STARTTLS upgrade to a certificate not trusted fails the step smtp.tls-required, not retried', async () => {
    // STARTTLS offered with smtp-server's own certificate: self-signed, and expired.
    const smtp = await server({ disabledCommands: [] });
    const error = await failureOf(smtpDeliver({ host: smtp.host, port: smtp.port })(message(1)));
    expect(error.message).toMatch(/^smtp\.tls-required: /);
    expect(error.retryable).toBe(false);
    expect(smtp.raws).toHaveLength(0);
  });

  test('a refused login fails the step smtp.auth', async () => {
    const smtp = await server({
      authOptional: false,
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: true,
      onAuth: (_auth, _session, callback) => callback(new Error('Invalid username or password')),
    });
    const data = { host: smtp.host, port: smtp.port, requireTLS: false, user: 'ann', password: 'wrong' };
    const error = await failureOf(smtpDeliver(data)(message(1)));
    expect(error.message).toMatch(/^smtp\.auth: /);
    expect(error.retryable).toBe(false);
  });

  test('a 5xx reply to the recipient fails the step smtp.rejected, not retried', async () => {
    const smtp = await server({
      onRcptTo: (_address, _session, callback) =>
        callback(Object.assign(new Error('No such user'), { responseCode: 550 })),
    });
    const error = await failureOf(smtpDeliver({ host: smtp.host, port: smtp.port, requireTLS: false })(message(1)));
    expect(error.message).toMatch(/^smtp\.rejected: /);
    expect(error.retryable).toBe(false);
  });

  test('a 4xx reply is smtp.unavailable and retried', async () => {
    const smtp = await server({
      onRcptTo: (_address, _session, callback) =>
        callback(Object.assign(new Error('Greylisted, try later'), { responseCode: 451 })),
    });
    const error = await failureOf(smtpDeliver({ host: smtp.host, port: smtp.port, requireTLS: false })(message(1)));
    expect(error.message).toMatch(/^smtp\.unavailable: /);
    expect(error.retryable).toBe(true);
  });

  test('a refused connection is smtp.unavailable and retried', async () => {
    const error = await failureOf(smtpDeliver({ host: '127.0.0.1', port: 1, requireTLS: false })(message(1)));
    expect(error.message).toMatch(/^smtp\.unavailable: /);
    expect(error.retryable).toBe(true);
  });
});
