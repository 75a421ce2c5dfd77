import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, eventually, n, publish, testPackage } from '../engine/support.js';
import { type Answer, hungUpBurst, burst as sendBurst, statusesSent, wire } from '../support/raw-http.js';
import { createTestApp, TEST_TOKEN, type TestApp } from '../support/runtime.js';
import { fromAddress } from '../teams/support.js';

// API.md: a wrong token or webhook secret is a failed authentication (401), and past 20 of them
// a minute from one address every call of that address is refused with 429, a right one too.
// A journey's webhook secret, a provider's webhook signature and the inbound-mail secret can
// so not be guessed online without limit. No worker runs here: runs are only started.

let t: TestApp;
let journeyId = '';
let port = 0;
let sent: (address: string) => number[];
const SECRET = 'a-plain-webhook-secret-of-some-length';
const METRICS_TOKEN = 'a-metrics-token-0123456789';
const INBOUND_SECRET = 'an-inbound-mail-secret-0123456789';

beforeAll(async () => {
  t = await createTestApp({ METRICS_TOKEN, INBOUND_SECRET }, { beforeReady: (app) => (sent = statusesSent(app)) });
  t.runtime.registry.add(testPackage);
  ({ journeyId } = await publish(t.runtime.db, {
    nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('a', 'tst.step')],
    edges: [e('hook', 'a')],
  }));
  port = Number(new URL(await t.app.listen({ port: 0, host: '127.0.0.1' })).port);
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

/** Sends `requests` all at once from `from`, one of 127.0.0.0/8 per test (each is counted apart). */
const burst = (from: string, requests: string[]) => sendBurst(port, from, requests);
const one = async (from: string, request: string) => (await burst(from, [request]))[0] as Answer;
const times = (n: number, request: (i: number) => string) => Array.from({ length: n }, (_, i) => request(i));

const hook = (secret: string) =>
  wire(
    'POST',
    `/hooks/${journeyId}/hook`,
    { 'x-waymark-secret': secret, 'content-type': 'application/json' },
    JSON.stringify({ email: 'ada@example.com' }),
  );
const codeOf = (answer: Answer) => (JSON.parse(answer.body) as { error?: { code: string } }).error?.code;
const count = (found: Answer[], status: number) => found.filter((a) => a.status === status).length;

/** At most 20 of `found` were checked (401); every other one got the limit's answer. */
function heldToTheLimit(found: Answer[]) {
  expect(count(found, 401)).toBeLessThanOrEqual(20);
  expect(count(found, 401) + count(found, 429)).toBe(found.length);
  for (const refused of found.filter((a) => a.status === 429)) {
    expect(codeOf(refused)).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
  }
}

/** Sends 60 guesses at once from `from`: at most 20 are checked, the others answer 429. */
const guessesHeld = async (from: string, guess: (i: number) => string) =>
  heldToTheLimit(await burst(from, times(60, guess)));

const unsigned = (i: number) =>
  wire(
    'POST',
    '/hooks/providers/postmark',
    { 'content-type': 'application/json' },
    JSON.stringify({ RecordType: 'Bounce', MessageID: `m-${i}` }),
  );
const mail = (secret: string) =>
  wire(
    'POST',
    '/hooks/inbound-email',
    { 'content-type': 'message/rfc822', 'x-waymark-secret': secret },
    'From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n',
  );

// Guesses sent all at once must not all be checked before the first failure is counted: each
// check holds one of the places its address has left under the limit until its failure counts.
describe('guesses sent all at once over real connections', () => {
  test("60 wrong secrets at a journey's webhook: at most 20 answer 401, the others 429; then the right one 429", async () => {
    const from = '127.0.0.11';
    await guessesHeld(from, (i) => hook(`wrong secret number ${i}`));
    const right = await one(from, hook(SECRET));
    expect(right.status).toBe(429);
    expect(codeOf(right)).toBe('rate_limited');
  });

  test('60 unsigned provider events: at most 20 answer 401, the others 429; then a right webhook secret 429', async () => {
    const from = '127.0.0.12';
    await guessesHeld(from, unsigned);
    expect((await one(from, hook(SECRET))).status).toBe(429);
  });

  test('60 wrong inbound-mail secrets: at most 20 answer 401, the others 429; then the right one 429', async () => {
    const from = '127.0.0.13';
    await guessesHeld(from, (i) => mail(`wrong-${i}`));
    const right = await one(from, mail(INBOUND_SECRET));
    expect(right.status).toBe(429);
    expect(codeOf(right)).toBe('rate_limited');
  });

  test('they do not hold back that address’s /api calls with the right token', async () => {
    const from = '127.0.0.14';
    await guessesHeld(from, (i) => hook(`wrong secret number ${i}`));
    const api = await one(from, wire('GET', '/api/journeys', { authorization: `Bearer ${TEST_TOKEN}` }));
    expect(api.status).toBe(200);
  });
});

// Webhook senders send many calls at once from one address: a right call holds a place only
// while its secret is checked, so its own calls under way never refuse it.
describe('right secrets sent all at once over real connections', () => {
  test('100 from one address all answer 202', async () => {
    const found = await burst(
      '127.0.0.15',
      times(100, () => hook(SECRET)),
    );
    expect(found.map((a) => a.status)).toEqual(Array(100).fill(202));
  });

  test('mixed with 40 wrong ones, each answers 202 until the failures reach the limit, then 429', async () => {
    const from = '127.0.0.16';
    const found = await burst(
      from,
      times(80, (i) => hook(i % 2 ? SECRET : `wrong secret number ${i}`)),
    );
    heldToTheLimit(found.filter((_, i) => i % 2 === 0));
    const right = found.filter((_, i) => i % 2 === 1);
    expect(count(right, 202) + count(right, 429)).toBe(40);
    expect((await one(from, hook(SECRET))).status).toBe(429);
  });
});

// A guesser of the metrics token may drop each connection as soon as its guess is sent: the
// check still holds its place until its failure is counted (API.md "Auth").
describe('wrong metrics tokens sent at once by clients that hang up at once', () => {
  const scrape = (token: string) => wire('GET', '/metrics', { authorization: `Bearer ${token}` });
  const guesses = times(60, (i) => scrape(`wrong-token-${i}-0123456789`));

  test('of 60, at most 20 are checked (401); then the right token from that address answers 429', async () => {
    const from = '127.0.0.17';
    await hungUpBurst(port, from, guesses);
    await eventually(async () => sent(from).length >= 60);
    expect(sent(from).filter((status) => status === 401).length).toBeLessThanOrEqual(20);
    const right = await one(from, scrape(METRICS_TOKEN));
    expect(right.status).toBe(429);
    expect(codeOf(right)).toBe('rate_limited');
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
  });

  test('the right token from another address right after them answers 200', async () => {
    await hungUpBurst(port, '127.0.0.18', guesses);
    expect((await one('127.0.0.19', scrape(METRICS_TOKEN))).status).toBe(200);
  });

  test('they hold back that address’s /api calls, not its webhooks', async () => {
    const from = '127.0.0.20';
    await hungUpBurst(port, from, guesses);
    await eventually(async () => sent(from).length >= 60);
    expect((await one(from, wire('GET', '/api/journeys', { authorization: `Bearer ${TEST_TOKEN}` }))).status).toBe(429);
    expect((await one(from, hook(SECRET))).status).toBe(202);
  });
});
