import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { installTriggers, installTriggersAnswer, runsOf, shopCredential, triggerJourney } from './support.js';

// SDK README "Triggers": an installed package's trigger declares `webhook.handle`; calls to
// its journey's hook URL reach the handler in the package's thread, which authenticates them
// with a credential and says which runs start, each bound to the contact it names.

const SECRET = 'shop-signing-secret';
let t: TestApp;
let credential: string;
const flags = globalThis as { acmeTriggerLoaded?: boolean };

const ORDER_CREATED = `[defineNode({
  type: 'acme.order-created', version: 1, kind: 'trigger', title: 'Order created', description: 'An Acme shop order',
  category: 'Acme', outputs: ['out'], triggerOutput: 'out', credentials: ['acme.shop'], timeoutMs: 1000,
  params: { type: 'object', properties: { shop: { type: 'string', format: 'credential', credentialType: 'acme.shop' } }, required: ['shop'] },
  async run() { return { next: 'out' }; },
  webhook: {
    async handle(request, ctx) {
      const { secret } = await ctx.credentials.get(ctx.params.shop);
      const expected = createHmac('sha256', secret).update(request.body).digest('base64');
      if (request.headers['x-acme-hmac'] !== expected) refuse(401, 'the Acme signature does not match');
      const order = request.json;
      if (order.problem === 'throw') throw new Error('the order has no line items');
      if (order.problem === 'leak') refuse(400, 'the shop secret is ' + secret);
      if (order.problem === 'leak-throw') throw new Error('signed with ' + secret);
      if (order.problem === 'loop') for (;;) {}
      return {
        starts: [{
          payload: { order, topic: request.query.topic ?? null, loaded: globalThis.acmeTriggerLoaded === true, env: Object.keys(process.env).length },
          contact: { email: order.email },
          idempotencyKey: request.headers['x-acme-webhook-id'],
        }],
      };
    },
  },
})]`;

beforeAll(async () => {
  t = await createTestApp();
  await installTriggers(
    t,
    'acme-shop-triggers',
    ORDER_CREATED,
    `import { createHmac } from 'node:crypto';\nglobalThis.acmeTriggerLoaded = true;`,
  );
  credential = await shopCredential(t, SECRET);
}, 60_000);
afterAll(async () => {
  await t?.close();
});

/** Posts an order to the journey's hook, signed with `secret`. */
function post(
  journeyId: string,
  order: Record<string, unknown>,
  options: { secret?: string; webhookId?: string; url?: string; remoteAddress?: string } = {},
) {
  const body = JSON.stringify(order);
  const hmac = createHmac('sha256', options.secret ?? SECRET)
    .update(body)
    .digest('base64');
  return t.app.inject({
    method: 'POST',
    url: options.url ?? `/hooks/${journeyId}/trigger`,
    headers: {
      'content-type': 'application/json',
      'x-acme-hmac': hmac,
      ...(options.webhookId ? { 'x-acme-webhook-id': options.webhookId } : {}),
    },
    payload: body,
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
}

describe('a package webhook trigger', () => {
  test('is listed in the catalogue as taking hook calls, as core.webhook is', async () => {
    const nodes: { type: string; webhook?: boolean }[] = (
      await t.app.inject({ method: 'GET', url: '/api/nodes', headers: t.auth })
    ).json().nodes;
    const takes = (type: string) => nodes.find((n) => n.type === type)?.webhook;
    expect([takes('acme.order-created'), takes('core.webhook'), takes('core.event'), takes('core.exit')]).toEqual([
      true,
      true,
      undefined,
      undefined,
    ]);
  });

  test('starts a run bound to the contact its handler names, with its payload, and answers 202 { runIds }', async () => {
    const journey = await triggerJourney(t, 'acme.order-created', { shop: credential });
    const res = await post(
      journey,
      { id: 1001, email: 'Buyer@Example.com' },
      { url: `/hooks/${journey}/trigger?topic=orders%2Fcreate` },
    );
    expect(res.statusCode).toBe(202);
    const { runIds } = res.json() as { runIds: string[] };
    expect(runIds).toHaveLength(1);
    const runs = await runsOf(t, journey);
    expect(runs.map((r) => r.id)).toEqual(runIds);
    expect(runs[0]?.email).toBe('buyer@example.com');
    expect(runs[0]?.trigger).toMatchObject({ order: { id: 1001 }, topic: 'orders/create' });
  });

  test('runs in the package thread: no process.env of Waymark, and its own module state', async () => {
    const journey = await triggerJourney(t, 'acme.order-created', { shop: credential });
    const res = await post(journey, { id: 1002, email: 'thread@example.com' });
    expect(res.statusCode).toBe(202);
    const [run] = await runsOf(t, journey);
    expect(run?.trigger).toMatchObject({ loaded: true, env: 0 });
    // The package's top-level code never ran in Waymark's thread.
    expect(flags.acmeTriggerLoaded).toBeUndefined();
  });

  test('a handler that refuses answers its status with the error envelope and starts nothing', async () => {
    const journey = await triggerJourney(t, 'acme.order-created', { shop: credential });
    const res = await post(journey, { id: 1003, email: 'forger@example.com' }, { secret: 'another-secret' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: { code: 'unauthorized', message: 'the Acme signature does not match' } });
    expect(await runsOf(t, journey)).toEqual([]);
  });

  // API.md "Auth": its 401 is a failed authentication; guesses sent at once are held to the
  // address's 20 a minute, not all handled before the first failure counts.
  test('wrong signatures sent at once: at most 20 are refused 401, the others and then a right one 429', async () => {
    const journey = await triggerJourney(t, 'acme.order-created', { shop: credential });
    const remoteAddress = '198.51.100.20';
    const guess = (i: number) =>
      post(journey, { id: 2000 + i, email: 'guess@example.com' }, { secret: `guess-${i}`, remoteAddress });
    const statuses = (await Promise.all(Array.from({ length: 40 }, (_, i) => guess(i)))).map((r) => r.statusCode);
    const refused = statuses.filter((s) => s === 401).length;
    expect(refused).toBeLessThanOrEqual(20);
    expect(refused + statuses.filter((s) => s === 429).length).toBe(40);
    const right = await post(journey, { id: 2100, email: 'right@example.com' }, { remoteAddress });
    expect(right.statusCode).toBe(429);
    expect(right.json().error.code).toBe('rate_limited');
  });

  test('a handler that throws is 502 trigger_failed naming the trigger and starts nothing', async () => {
    const journey = await triggerJourney(t, 'acme.order-created', { shop: credential });
    const res = await post(journey, { id: 1004, email: 'x@example.com', problem: 'throw' });
    expect(res.statusCode).toBe(502);
    expect(res.json().error).toEqual({
      code: 'trigger_failed',
      message: 'acme.order-created@1 webhook.handle failed: the order has no line items',
    });
    expect(await runsOf(t, journey)).toEqual([]);
  });

  test("the credential's secrets a handler read are hidden from its refusal and its failure", async () => {
    const journey = await triggerJourney(t, 'acme.order-created', { shop: credential });
    const refused = await post(journey, { id: 1012, problem: 'leak' });
    expect(refused.json().error.message).toBe('the shop secret is [redacted]');
    const failed = await post(journey, { id: 1013, problem: 'leak-throw' });
    expect(failed.json().error.message).toBe('acme.order-created@1 webhook.handle failed: signed with [redacted]');
  });

  test('a handler that never returns is ended at its time limit: 502 trigger_failed, nothing started', async () => {
    const journey = await triggerJourney(t, 'acme.order-created', { shop: credential });
    const res = await post(journey, { id: 1005, email: 'x@example.com', problem: 'loop' });
    expect(res.statusCode).toBe(502);
    expect(res.json().error).toEqual({
      code: 'trigger_failed',
      message: 'acme.order-created@1 webhook.handle passed its time limit of 1000 ms',
    });
    expect(await runsOf(t, journey)).toEqual([]);
    // The thread that looped was replaced: the next call is served.
    expect((await post(journey, { id: 1006, email: 'after@example.com' })).statusCode).toBe(202);
  });

  test("a start's idempotency key seen before starts nothing again and answers the first run", async () => {
    const journey = await triggerJourney(t, 'acme.order-created', { shop: credential });
    const first = await post(journey, { id: 1007, email: 'twice@example.com' }, { webhookId: 'evt-1007' });
    const again = await post(journey, { id: 1007, email: 'twice@example.com' }, { webhookId: 'evt-1007' });
    expect(first.statusCode).toBe(202);
    expect(again.json()).toEqual(first.json());
    expect(await runsOf(t, journey)).toHaveLength(1);
  });

  test('re-entry once: a second start for the same contact starts nothing, 200 { runIds: [null] }', async () => {
    const journey = await triggerJourney(t, 'acme.order-created', { shop: credential }, { reentry: 'once' });
    expect((await post(journey, { id: 1008, email: 'loyal@example.com' })).statusCode).toBe(202);
    const again = await post(journey, { id: 1009, email: 'loyal@example.com' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ runIds: [null] });
    expect(await runsOf(t, journey)).toHaveLength(1);
  });

  test('a paused journey answers 409 and its handler starts nothing', async () => {
    const journey = await triggerJourney(t, 'acme.order-created', { shop: credential });
    await t.app.inject({ method: 'POST', url: `/api/journeys/${journey}/pause`, headers: t.auth });
    const res = await post(journey, { id: 1010, email: 'paused@example.com' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('journey_paused');
    expect(await runsOf(t, journey)).toEqual([]);
  });

  test('a node of the journey that is no webhook trigger is 404', async () => {
    const journey = await triggerJourney(t, 'acme.order-created', { shop: credential });
    const res = await post(journey, { id: 1011 }, { url: `/hooks/${journey}/done` });
    expect(res.statusCode).toBe(404);
  });

  test('a webhook on a node that is no trigger is refused at install, naming the node', async () => {
    const res = await installTriggersAnswer(
      t,
      'wrong-hooks',
      `[defineNode({ type: 'wrong.hook', version: 1, kind: 'action', title: 'Hook', description: 'No trigger', category: 'Wrong',
        params: { type: 'object' }, outputs: ['out'], async run() { return { next: 'out' }; },
        webhook: { handle() { return { starts: [] }; } } })]`,
      '',
      'wrong',
    );
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain("wrong.hook: only a trigger (kind: 'trigger') may have webhook or poll");
  });
});
