import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n, publish, testPackage } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { fromAddress } from '../teams/support.js';

// What an outsider may not do with a journey's webhook: start a run without the node's secret,
// replay a signed call to start another run, or (with Prefer: wait) starve the API of
// database connections. No worker runs here: runs are only started, never stepped.

let t: TestApp;
const PLAIN = 'a-plain-webhook-secret-of-some-length';
const WHSEC = `whsec_${randomBytes(32).toString('base64')}`;

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
});
afterAll(() => t?.close());

const graph = (secret: string) => ({
  nodes: [n('hook', 'core.webhook', { secret }), n('a', 'tst.step')],
  edges: [e('hook', 'a')],
});

const now = () => Math.floor(Date.now() / 1000);

/** Standard Webhooks headers signed by the reference package (`whsec_` secrets, or raw key bytes). */
function signed(key: string | Uint8Array, body: string, options: { id?: string; timestamp?: number } = {}) {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = options.timestamp ?? now();
  const webhook = typeof key === 'string' ? new Webhook(key) : new Webhook(key, { format: 'raw' });
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': webhook.sign(id, new Date(timestamp * 1000), body),
  };
}

// Each call from an address of its own: the refusals here would otherwise pass the
// per-address limit on failed authentications (webhook-guessing.test.ts) and answer 429.
function post(journeyId: string, body: string | Buffer, headers: Record<string, string>) {
  return t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: body,
    ...fromAddress(),
  });
}

const runsOf = (journeyId: string) =>
  t.runtime.db.selectFrom('runs').select(['id', 'trigger']).where('journey_id', '=', journeyId).execute();

async function refused(res: Awaited<ReturnType<typeof post>>, journeyId: string) {
  expect(res.statusCode).toBe(401);
  expect(res.json().error.code).toBe('unauthorized');
  expect(await runsOf(journeyId)).toEqual([]);
}

describe('Standard Webhooks signatures', () => {
  test('a whsec_ secret: the key is the base64 after the prefix; a signed call starts one run', async () => {
    const j = await publish(t.runtime.db, graph(WHSEC));
    const body = JSON.stringify({ name: 'Ada' });
    const res = await post(j.journeyId, body, signed(WHSEC, body));
    expect(res.statusCode).toBe(202);
    expect(await runsOf(j.journeyId)).toEqual([{ id: res.json().runId, trigger: { name: 'Ada' } }]);
  });

  test('a plain secret: the key is its UTF-8 bytes (not base64 of it)', async () => {
    const secret = `${PLAIN}-ünïcødé`;
    const j = await publish(t.runtime.db, graph(secret));
    const body = JSON.stringify({ name: 'Plain' });
    expect((await post(j.journeyId, body, signed(Buffer.from(secret, 'utf8'), body))).statusCode).toBe(202);
    // Read as Latin-1 (what the package does with a raw string), it is another key.
    const latin1 = Uint8Array.from(secret, (c) => c.charCodeAt(0) & 0xff);
    expect((await post(j.journeyId, body, signed(latin1, body))).statusCode).toBe(401);
    expect(await runsOf(j.journeyId)).toHaveLength(1);
  });

  test('any one of several space-separated signatures may match; other versions are ignored', async () => {
    const j = await publish(t.runtime.db, graph(WHSEC));
    const body = '{}';
    const good = signed(WHSEC, body);
    const other = signed(`whsec_${randomBytes(32).toString('base64')}`, body, { id: good['webhook-id'] });
    const valid = good['webhook-signature'].slice(3);
    const headers = {
      ...good,
      'webhook-signature': `v1a,${valid} ${other['webhook-signature']}   ${good['webhook-signature']}`,
    };
    expect((await post(j.journeyId, body, headers)).statusCode).toBe(202);
    const unknownVersions = { ...good, 'webhook-id': `${good['webhook-id']}-2` };
    unknownVersions['webhook-signature'] = `v2,${valid} v1a,${valid}`;
    expect((await post(j.journeyId, body, unknownVersions)).statusCode).toBe(401);
    expect(await runsOf(j.journeyId)).toHaveLength(1);
  });

  test('the signature covers the raw bytes of the body, not a re-encoding of them', async () => {
    const j = await publish(t.runtime.db, graph(WHSEC));
    // Not valid UTF-8 inside a JSON string: decoding it as text first would change the bytes.
    const body = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    const id = `msg_${randomUUID()}`;
    const timestamp = String(now());
    const key = Buffer.from(WHSEC.slice(6), 'base64');
    const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
    const headers = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${mac}` };
    expect((await post(j.journeyId, body, headers)).statusCode).toBe(202);
  });

  test('a wrong key, an altered body, id or timestamp, or a missing header is refused with 401', async () => {
    const j = await publish(t.runtime.db, graph(WHSEC));
    const body = JSON.stringify({ name: 'Mallory' });
    const good = signed(WHSEC, body);
    const attempts: [string, Record<string, string>][] = [
      [body, signed(`whsec_${randomBytes(32).toString('base64')}`, body)],
      [body, signed(Buffer.from(WHSEC, 'utf8'), body)],
      [JSON.stringify({ name: 'Mallory', admin: true }), good],
      [body, { ...good, 'webhook-id': `${good['webhook-id']}x` }],
      [body, { ...good, 'webhook-timestamp': String(Number(good['webhook-timestamp']) + 1) }],
      [body, { ...good, 'webhook-timestamp': `${good['webhook-timestamp']}.0` }],
      [body, { ...good, 'webhook-timestamp': 'soon' }],
      [body, { ...good, 'webhook-signature': 'v1,' }],
      [body, { ...good, 'webhook-signature': 'v1,not base64 at all!' }],
      [body, { ...good, 'webhook-signature': good['webhook-signature'].replace('v1,', 'v1,AAAA') }],
      [body, { 'webhook-id': good['webhook-id'], 'webhook-signature': good['webhook-signature'] }],
      [body, { 'webhook-timestamp': good['webhook-timestamp'], 'webhook-signature': good['webhook-signature'] }],
      // A valid X-Waymark-Secret does not rescue a bad Standard Webhooks signature.
      [body, { ...good, 'webhook-signature': 'v1,AAAA', 'x-waymark-secret': 'not-the-secret' }],
    ];
    for (const [payload, headers] of attempts) await refused(await post(j.journeyId, payload, headers), j.journeyId);
  });

  test('a timestamp more than 5 minutes from the server’s clock is refused, either way', async () => {
    const j = await publish(t.runtime.db, graph(WHSEC));
    const body = '{}';
    // Ten seconds past the limit: at 301 a second that turns between signing and checking lets the call in.
    for (const skew of [-310, 310, -3600, 86_400]) {
      const res = await post(j.journeyId, body, signed(WHSEC, body, { timestamp: now() + skew }));
      await refused(res, j.journeyId);
      expect(res.json().error.message).toMatch(/webhook-timestamp/);
    }
    for (const skew of [-240, 240]) {
      expect((await post(j.journeyId, body, signed(WHSEC, body, { timestamp: now() + skew }))).statusCode).toBe(202);
    }
  });

  test('a replayed call (the same webhook-id) gets the first answer and starts nothing new', async () => {
    const j = await publish(t.runtime.db, graph(WHSEC));
    const body = JSON.stringify({ name: 'once' });
    const headers = signed(WHSEC, body);
    const first = await post(j.journeyId, body, headers);
    expect(first.statusCode).toBe(202);
    for (let i = 0; i < 3; i++) {
      const again = await post(j.journeyId, body, headers);
      expect(again.statusCode).toBe(202);
      expect(again.json()).toEqual(first.json());
    }
    // A fresh Idempotency-Key does not dodge it: the signed webhook-id wins over the unsigned header.
    const dodge = await post(j.journeyId, body, { ...headers, 'idempotency-key': randomUUID() });
    expect(dodge.json()).toEqual(first.json());
    // Re-signed with a new timestamp (a sender's retry), the same id is still the same call.
    const retry = await post(j.journeyId, body, signed(WHSEC, body, { id: headers['webhook-id'] }));
    expect(retry.json()).toEqual(first.json());
    expect(await runsOf(j.journeyId)).toHaveLength(1);
  });

  test('concurrent replays of one webhook-id start one run', async () => {
    const j = await publish(t.runtime.db, graph(WHSEC));
    const body = '{}';
    const headers = signed(WHSEC, body);
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(j.journeyId, body, headers)));
    for (const a of answers) expect([202, 409]).toContain(a.statusCode);
    expect(await runsOf(j.journeyId)).toHaveLength(1);
  });

  test('different webhook-ids start different runs; a webhook-id over 255 characters is refused', async () => {
    const j = await publish(t.runtime.db, graph(WHSEC));
    const body = '{}';
    expect((await post(j.journeyId, body, signed(WHSEC, body))).statusCode).toBe(202);
    expect((await post(j.journeyId, body, signed(WHSEC, body))).statusCode).toBe(202);
    const long = await post(j.journeyId, body, signed(WHSEC, body, { id: 'x'.repeat(256) }));
    expect(long.statusCode).toBe(400);
    expect(await runsOf(j.journeyId)).toHaveLength(2);
  });
});

describe('the older schemes keep working, and refuse what they refused', () => {
  test('X-Waymark-Secret and X-Waymark-Signature', async () => {
    const j = await publish(t.runtime.db, graph(PLAIN));
    const body = JSON.stringify({ name: 'old' });
    expect((await post(j.journeyId, body, { 'x-waymark-secret': PLAIN })).statusCode).toBe(202);
    const signature = `sha256=${createHmac('sha256', PLAIN).update(body).digest('hex')}`;
    expect((await post(j.journeyId, body, { 'x-waymark-signature': signature })).statusCode).toBe(202);
    expect(await runsOf(j.journeyId)).toHaveLength(2);
    const k = await publish(t.runtime.db, graph(PLAIN));
    await refused(await post(k.journeyId, body, { 'x-waymark-secret': `${PLAIN}x` }), k.journeyId);
    await refused(await post(k.journeyId, `${body} `, { 'x-waymark-signature': signature }), k.journeyId);
    await refused(await post(k.journeyId, body, {}), k.journeyId);
  });

  test('a webhook-id is the idempotency key also under X-Waymark-Secret', async () => {
    const j = await publish(t.runtime.db, graph(PLAIN));
    const headers = { 'x-waymark-secret': PLAIN, 'webhook-id': 'msg_1' };
    const first = await post(j.journeyId, '{}', headers);
    const again = await post(j.journeyId, '{}', { ...headers, 'idempotency-key': 'another' });
    expect(again.json()).toEqual(first.json());
    expect(await runsOf(j.journeyId)).toHaveLength(1);
  });

  test('a journey without a secret refuses every call, signed or not', async () => {
    const j = await publish(t.runtime.db, graph(''));
    const body = '{}';
    await refused(await post(j.journeyId, body, { 'x-waymark-secret': '' }), j.journeyId);
    await refused(await post(j.journeyId, body, signed(new Uint8Array([0]), body)), j.journeyId);
  });
});

describe('Prefer: wait holds no database connection while it waits', () => {
  test('more waiting calls than the pool has connections, and the API still answers meanwhile', async () => {
    const poolSize = t.runtime.pool.options.max;
    expect(poolSize).toBeGreaterThan(0);
    const j = await publish(t.runtime.db, {
      nodes: [n('hook', 'core.webhook', { secret: PLAIN }), n('answer', 'core.respond', { status: 201 })],
      edges: [e('hook', 'answer')],
    });
    const waiting = poolSize * 3;
    let settled = 0;
    // No worker: no run reaches its core.respond step, so every call waits its full 10 s.
    const calls = Array.from({ length: waiting }, () =>
      post(j.journeyId, '{}', { 'x-waymark-secret': PLAIN, prefer: 'wait=10' }).finally(() => settled++),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({ method: 'GET', url: `/api/journeys/${j.journeyId}`, headers: t.auth });
      expect(res.statusCode).toBe(200);
      expect(settled).toBe(0); // answered while every call was still waiting
      expect(t.runtime.pool.waitingCount).toBe(0);
    }
    const answers = await Promise.all(calls);
    expect(answers.map((a) => a.statusCode)).toEqual(Array.from({ length: waiting }, () => 202));
    expect(await runsOf(j.journeyId)).toHaveLength(waiting);
  });
});
