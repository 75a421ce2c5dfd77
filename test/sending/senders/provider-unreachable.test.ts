import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SendRequest } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMessagesService } from '../../../engine/messages/service.js';
import { insertContact, stepScope } from '../../channels/scope.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// NODES.md: a provider that does not answer — a timeout, a connection error — fails the step
// `provider.unavailable`, retried, whichever provider it is.

let t: TestApp;
let silent: Server;
let silentUrl: string;
let contacts = 0;

beforeAll(async () => {
  // Takes each request and never answers it: the client's timeout runs out.
  silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true', PUBLIC_URL: 'https://waymark.example.com' });
});
afterAll(async () => {
  await t.close();
  silent.closeAllConnections();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

// Nothing listens on port 1: every connection is refused.
const REFUSING = 'http://127.0.0.1:1';

const accountSid = `AC${'a'.repeat(32)}`;
const providers: [string, 'email' | 'sms', Record<string, unknown>][] = [
  ['postmark.server', 'email', { serverToken: 'pm-token' }],
  ['sendgrid.account', 'email', { apiKey: 'SG.key' }],
  ['mailgun.domain', 'email', { apiKey: 'mg-key', domain: 'mg.example.com' }],
  ['ses.account', 'email', { region: 'eu-west-1', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' }],
  ['twilio.account', 'sms', { accountSid, authToken: 'tw-token', from: '+15005550006' }],
];

/** Sends one message through a new credential of `type` at `endpoint`; the step's error. */
async function failureThrough(type: string, channel: 'email' | 'sms', data: Record<string, unknown>, endpoint: string) {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: t.auth,
    payload: { name: type, type, data: { ...data, endpoint } },
  });
  expect(created.statusCode).toBe(201);
  contacts++;
  const contactId = await insertContact(t.runtime, {
    email: `c${contacts}@example.org`,
    phone: `+3584013${String(contacts).padStart(5, '0')}`,
  });
  const request: SendRequest = {
    channel,
    category: 'transactional',
    credential: (created.json() as { id: string }).id,
    ...(channel === 'email'
      ? { from: 'News <news@example.com>', subject: 'Hi', html: '<p>Hi</p>' }
      : { text: 'Hi there' }),
  };
  const service = createMessagesService(await stepScope(t.runtime, { contactId }));
  const error = await service.send(request).then(
    () => null,
    (e: unknown) => e as Error & { stepCode?: string; retryable?: boolean },
  );
  if (!error) throw new Error(`the send through ${type} did not fail`);
  return error;
}

describe('a provider that cannot be reached', () => {
  test.each(providers)('a refused connection to %s is provider.unavailable, retried', async (type, channel, data) => {
    const error = await failureThrough(type, channel, data, REFUSING);
    expect(error).toMatchObject({ stepCode: 'provider.unavailable', retryable: true });
    expect(error.message).toMatch(/^provider\.unavailable: /);
  });

  test('a provider that never answers is provider.unavailable, retried, once the timeout runs out', async () => {
    const error = await failureThrough('postmark.server', 'email', { serverToken: 'pm-token' }, silentUrl);
    expect(error).toMatchObject({ stepCode: 'provider.unavailable', retryable: true });
    expect(error.message).toMatch(/did not answer within/);
  }, 20_000);
});
