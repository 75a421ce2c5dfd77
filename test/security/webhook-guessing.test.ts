import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n, publish, testPackage } from '../engine/support.js';
import { createTestApp, TEST_TOKEN, type TestApp } from '../support/runtime.js';
import { fromAddress } from '../teams/support.js';

// API.md: a wrong token or webhook secret is a failed authentication (401), and past 20 of them
// a minute from one address every call of that address is refused with 429, a right one too.
// A journey's webhook secret, a provider's webhook signature and the inbound-mail secret can
// so not be guessed online without limit. No worker runs here: runs are only started.

let t: TestApp;
let journeyId = '';
const SECRET = 'a-plain-webhook-secret-of-some-length';
const METRICS_TOKEN = 'a-metrics-token-0123456789';

beforeAll(async () => {
  t = await createTestApp({ METRICS_TOKEN });
  t.runtime.registry.add(testPackage);
  ({ journeyId } = await publish(t.runtime.db, {
    nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('a', 'tst.step')],
    edges: [e('hook', 'a')],
  }));
});
afterAll(() => t?.close());

const call = (secret: string, from: { remoteAddress: string }) =>
  t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'x-waymark-secret': secret, 'content-type': 'application/json' },
    payload: { email: 'ada@example.com' },
    ...from,
  });

describe("a journey webhook's secret guessed from one address", () => {
  test('20 wrong secrets answer 401; then the right one answers 429 with Retry-After', async () => {
    const from = fromAddress();
    for (let i = 0; i < 20; i++) expect((await call(`wrong secret number ${i}`, from)).statusCode).toBe(401);
    const right = await call(SECRET, from);
    expect(right.statusCode).toBe(429);
    expect(right.json().error.code).toBe('rate_limited');
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
  });

  test('another address is not held back by them', async () => {
    expect((await call(SECRET, fromAddress())).statusCode).toBe(202);
  });
});

describe('failures of every kind of hook count together', () => {
  test('unsigned provider events and wrong inbound-mail secrets count toward the same limit', async () => {
    const from = fromAddress();
    for (let i = 0; i < 10; i++) {
      const provider = await t.app.inject({
        method: 'POST',
        url: '/hooks/providers/postmark',
        headers: { 'content-type': 'application/json' },
        payload: { RecordType: 'Bounce', MessageID: `m-${i}` },
        ...from,
      });
      expect(provider.statusCode).toBe(401);
      const inbound = await t.app.inject({
        method: 'POST',
        url: '/hooks/inbound-email',
        headers: { 'content-type': 'message/rfc822', 'x-waymark-secret': `wrong-${i}` },
        payload: 'From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n',
        ...from,
      });
      expect(inbound.statusCode).toBe(401);
    }
    expect((await call(SECRET, from)).statusCode).toBe(429);
  });
});

// API.md: webhook routes authenticate by their own secrets, never by the admin token; so the
// failures of one never refuse the other (server/README.md "Failed authentications").
describe('failures at the token routes and at the hooks are counted apart', () => {
  const get = (url: string, token: string, from: { remoteAddress: string }) =>
    t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` }, ...from });

  test('wrong /metrics tokens hold back that address’s token routes, not its webhooks', async () => {
    const from = fromAddress();
    for (let i = 0; i < 20; i++)
      expect((await get('/metrics', `wrong-token-${i}-0123456789`, from)).statusCode).toBe(401);
    expect((await get('/api/journeys', TEST_TOKEN, from)).statusCode).toBe(429);
    expect((await call(SECRET, from)).statusCode).toBe(202);
  });

  test('wrong webhook secrets hold back that address’s webhooks, not its token routes', async () => {
    const from = fromAddress();
    for (let i = 0; i < 20; i++) expect((await call(`wrong secret number ${i}`, from)).statusCode).toBe(401);
    expect((await call(SECRET, from)).statusCode).toBe(429);
    expect((await get('/api/journeys', TEST_TOKEN, from)).statusCode).toBe(200);
    expect((await get('/metrics', METRICS_TOKEN, from)).statusCode).toBe(200);
  });
});
