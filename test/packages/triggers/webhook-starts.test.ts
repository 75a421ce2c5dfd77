import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { installTriggers, runsOf, triggerJourney } from './support.js';

// SDK README "Triggers" and server README "Package webhook triggers": the starts one call's
// handler answers begin together (all runs or none), and `Prefer: wait` is honoured for a call
// that starts one run, as core.webhook honours it.

let t: TestApp;
let worker: WorkerHandle;

// Starts one run per order in the body (its `contact` and `key` as given); `response` is answered as the handler's own.
const ORDER_BATCH = `[defineNode({
  type: 'acme.order-batch', version: 1, kind: 'trigger', title: 'Orders', description: 'Several Acme orders',
  category: 'Acme', outputs: ['out'], params: { type: 'object' },
  async run() { return { next: 'out' }; },
  webhook: {
    handle(request) {
      const { orders, response } = request.json;
      return {
        starts: orders.map((o) => ({ payload: { order: o.id }, ...(o.contact ? { contact: o.contact } : {}), ...(o.key ? { idempotencyKey: o.key } : {}) })),
        ...(response ? { response } : {}),
      };
    },
  },
})]`;

beforeAll(async () => {
  t = await createTestApp();
  await installTriggers(t, 'acme-batch-triggers', ORDER_BATCH);
  worker = await startWorker(t.runtime, { pollInterval: 100 });
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

interface Order {
  id: number;
  contact?: Record<string, string>;
  key?: string;
}

/** Posts `orders` to the journey's hook, with `headers`. */
function post(journeyId: string, orders: Order[], headers: Record<string, string> = {}, extra = {}) {
  return t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/trigger`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: { orders, ...extra },
  });
}

/** A journey `trigger` (acme.order-batch) → `answer` (core.respond 201 naming the order) → `done`, published. */
async function respondingJourney(): Promise<string> {
  const at = (y: number) => ({ x: 0, y });
  const graph = {
    nodes: [
      { id: 'trigger', type: 'acme.order-batch', version: 1, params: {}, position: at(0) },
      {
        id: 'answer',
        type: 'core.respond',
        version: 1,
        params: { status: 201, body: { order: 'Order {{ trigger.order }}' } },
        position: at(100),
      },
      { id: 'done', type: 'core.exit', version: 1, params: {}, position: at(200) },
    ],
    edges: [
      { id: 'e0', source: 'trigger', sourceHandle: 'out', target: 'answer' },
      { id: 'e1', source: 'answer', sourceHandle: 'out', target: 'done' },
    ],
  };
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/journeys',
    headers: t.auth,
    payload: { name: 'Answering orders', graph },
  });
  const id = created.json().id as string;
  const published = await t.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: t.auth });
  if (published.statusCode !== 201) throw new Error(`publish failed: ${published.body}`);
  return id;
}

describe("a package webhook trigger's starts", () => {
  test('each begins a run, answered 202 { runIds } in their order', async () => {
    const journey = await triggerJourney(t, 'acme.order-batch', {});
    const res = await post(journey, [
      { id: 1, contact: { email: 'one@example.com' } },
      { id: 2, contact: { email: 'two@example.com' } },
    ]);
    expect(res.statusCode).toBe(202);
    const { runIds } = res.json() as { runIds: string[] };
    const runs = await runsOf(t, journey);
    expect(runIds.map((id) => runs.find((r) => r.id === id)?.email)).toEqual(['one@example.com', 'two@example.com']);
  });

  test('one that cannot begin (a contactId no contact has) leaves none of the others: 404 not_found, no run', async () => {
    const journey = await triggerJourney(t, 'acme.order-batch', {});
    const res = await post(journey, [
      { id: 3, contact: { email: 'before@example.com' } },
      { id: 4, contact: { contactId: randomUUID() } },
      { id: 5 },
    ]);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
    expect(await runsOf(t, journey)).toEqual([]);
    const contact = await t.runtime.db
      .selectFrom('contacts')
      .select('id')
      .where('email', '=', 'before@example.com')
      .executeTakeFirst();
    expect(contact).toBeUndefined();
  });

  test('a malformed contact in any start is 400 validation_failed and no run begins', async () => {
    const journey = await triggerJourney(t, 'acme.order-batch', {});
    const res = await post(journey, [
      { id: 6, contact: { email: 'fine@example.com' } },
      { id: 7, contact: { email: 'nope' } },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect(await runsOf(t, journey)).toEqual([]);
  });

  test('a key another call holds keeps the whole call from starting (409 conflict); sent again later, all begin', async () => {
    const journey = await triggerJourney(t, 'acme.order-batch', {});
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    // Another call, in another process, in the middle of its transaction with key `held`.
    const other = t.runtime.db
      .transaction()
      .execute(async (trx) => {
        await sql`insert into webhook_keys (journey_id, node_id, key) values (${journey}, 'trigger', 'held')`.execute(
          trx,
        );
        locked();
        await released;
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    await isLocked;
    const orders = [{ id: 8 }, { id: 9, key: 'held' }];
    const refused = await post(journey, orders);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('conflict');
    expect(await runsOf(t, journey)).toEqual([]);
    release();
    await other;
    const again = await post(journey, orders);
    expect(again.statusCode).toBe(202);
    expect(await runsOf(t, journey)).toHaveLength(2);
  });

  test('two starts with one key begin one run, both answered with it; the call sent again begins none', async () => {
    const journey = await triggerJourney(t, 'acme.order-batch', {});
    const orders = [
      { id: 10, key: 'same' },
      { id: 11, key: 'same' },
    ];
    const first = await post(journey, orders);
    expect(first.statusCode).toBe(202);
    const { runIds } = first.json() as { runIds: string[] };
    expect(runIds[1]).toBe(runIds[0]);
    const again = await post(journey, orders);
    expect(again.json()).toEqual({ runIds });
    expect(await runsOf(t, journey)).toHaveLength(1);
  });
});

describe('Prefer: wait on a package webhook trigger', () => {
  test("a call that starts one run is answered with its core.respond step's answer", async () => {
    const journey = await respondingJourney();
    const res = await post(journey, [{ id: 12 }], { prefer: 'wait=10' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ order: 'Order 12' });
    expect(res.headers['preference-applied']).toBe('wait=10');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect((await runsOf(t, journey)).map((r) => r.id)).toEqual([res.headers['waymark-run-id']]);
  });

  test('a call that starts several runs is answered 202 { runIds } at once, no preference applied', async () => {
    const journey = await respondingJourney();
    const res = await post(journey, [{ id: 13 }, { id: 14 }], { prefer: 'wait=10' });
    expect(res.statusCode).toBe(202);
    expect(res.json().runIds).toHaveLength(2);
    expect(res.headers['preference-applied']).toBeUndefined();
    expect(res.headers['waymark-run-id']).toBeUndefined();
  });

  test("the handler's own response is answered, not the run's", async () => {
    const journey = await respondingJourney();
    const res = await post(
      journey,
      [{ id: 15 }],
      { prefer: 'wait=10' },
      { response: { status: 200, body: { ok: true } } },
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
    expect(res.headers['preference-applied']).toBeUndefined();
  });

  test('without the header, a lone start is answered 202 { runIds } at once', async () => {
    const journey = await respondingJourney();
    const res = await post(journey, [{ id: 16 }]);
    expect(res.statusCode).toBe(202);
    expect(res.json().runIds).toHaveLength(1);
  });
});
