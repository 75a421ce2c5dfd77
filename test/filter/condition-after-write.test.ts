import { defineNode, definePackage } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { createJourney } from '../api/journeys/support.js';
import { e, eventually, n, publish } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

// NODES.md "The filter language": a condition agrees with a segment. A condition right after a
// step that wrote the contact (in the same batch) sees the contact as the database now holds it,
// the computed values that write moved included (contract identity.md "Values stay current").
let t: TestApp;
let worker: WorkerHandle;
const SECRET = 'a-webhook-secret-of-some-length';

/** A third party's node recording an event on the run's contact. */
const recorder = definePackage({
  name: 'acme-recorder',
  version: '1.0.0',
  nodes: [
    defineNode({
      type: 'acme.record',
      version: 1,
      kind: 'action',
      title: 'Record',
      description: 'Records an event on the contact.',
      category: 'Acme',
      params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      outputs: ['out'],
      async run(ctx) {
        await ctx.contacts.recordEvent(ctx.contact?.id as string, ctx.params.name, {});
        return { next: 'out' };
      },
    }),
  ],
});

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(recorder);
  worker = await startWorker(t.runtime, { pollInterval: 100 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

async function outcomeAfter(write: object, filter: object, email: string): Promise<string> {
  const j = await publish(t.runtime.db, {
    nodes: [
      n('hook', 'core.webhook', { secret: SECRET }),
      write as ReturnType<typeof n>,
      n('cond', 'core.condition', { filter }),
      n('yes', 'core.exit', { goal: 'matched' }),
      n('no', 'core.exit', { goal: 'missed' }),
    ],
    edges: [e('hook', 'write'), e('write', 'cond'), e('cond', 'yes', 'yes'), e('cond', 'no', 'no')],
  });
  const res = await t.app.inject({
    method: 'POST',
    url: `/hooks/${j.journeyId}/hook`,
    headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
    payload: JSON.stringify({ email }),
  });
  expect(res.statusCode, res.body).toBe(202);
  const run = await eventually(async () => {
    const r = (await t.app.inject({ url: `/api/runs/${res.json().runId}`, headers: t.auth })).json();
    return r.status === 'completed' ? r : undefined;
  });
  return run.outcome;
}

async function defineComputed(name: string, filter: object): Promise<void> {
  const put = await t.app.inject({
    method: 'PUT',
    url: `/api/computed-attributes/${name}`,
    headers: t.auth,
    payload: { definition: { kind: 'filter', filter } },
  });
  expect(put.statusCode, put.body).toBe(201);
}

describe('a condition after a contact write in the same journey', () => {
  test('reads a computed value the tag just added moved', async () => {
    await defineComputed('isVip', { tag: 'vip', op: 'has' });
    const write = n('write', 'crm.tag', { action: 'add', tag: 'vip' });
    expect(await outcomeAfter(write, { computed: 'isVip', op: 'eq', value: true }, 'vip@example.com')).toBe('matched');
  });

  test('reads a computed value the attribute just written moved', async () => {
    await defineComputed('isFinn', { attr: 'country', op: 'eq', value: 'FI' });
    const write = n('write', 'crm.update-contact', { attributes: { country: 'FI' } });
    expect(await outcomeAfter(write, { computed: 'isFinn', op: 'eq', value: true }, 'finn@example.com')).toBe(
      'matched',
    );
  });

  test('reads a computed value the event just recorded moved', async () => {
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/computed-attributes/purchases',
      headers: t.auth,
      payload: { definition: { kind: 'aggregate', fn: 'count', event: 'purchase' } },
    });
    expect(put.statusCode, put.body).toBe(201);
    const write = n('write', 'acme.record', { name: 'purchase' });
    expect(await outcomeAfter(write, { computed: 'purchases', op: 'gte', value: 1 }, 'buyer@example.com')).toBe(
      'matched',
    );
  });

  test('reads the tag just added', async () => {
    const write = n('write', 'crm.tag', { action: 'add', tag: 'fresh' });
    expect(await outcomeAfter(write, { tag: 'fresh', op: 'has' }, 'fresh@example.com')).toBe('matched');
  });
});

describe('a test run’s condition after a contact write', () => {
  test('reads a computed value the tag just added moved', async () => {
    await defineComputed('isGold', { tag: 'gold', op: 'has' });
    const id = await createJourney(t, {
      name: 'computed after a tag',
      graph: {
        nodes: [
          n('hook', 'core.webhook', { secret: SECRET }),
          n('write', 'crm.tag', { action: 'add', tag: 'gold' }),
          n('cond', 'core.condition', { filter: { computed: 'isGold', op: 'eq', value: true } }),
          n('yes', 'core.exit', { goal: 'matched' }),
          n('no', 'core.exit', { goal: 'missed' }),
        ],
        edges: [e('hook', 'write'), e('write', 'cond'), e('cond', 'yes', 'yes'), e('cond', 'no', 'no')],
      },
    });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/journeys/${id}/test`,
      headers: t.auth,
      payload: { contact: { email: 'gold@example.com' } },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().steps[2]).toMatchObject({ nodeId: 'cond', next: 'yes' });
  });
});
