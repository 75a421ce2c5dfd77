import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, n, publish, runEnds, testPackage } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
let worker: WorkerHandle;
const SECRET = 'a-webhook-secret-of-some-length';

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const hookGraph = (params: Record<string, unknown> = {}) => ({
  nodes: [
    n('hook', 'core.webhook', { secret: SECRET, ...params }),
    n('a', 'tst.step', { label: '{{ trigger.name }}' }),
  ],
  edges: [e('hook', 'a')],
});

function post(journeyId: string, body: unknown, headers: Record<string, string> = { 'x-waymark-secret': SECRET }) {
  return t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('POST /hooks/:journeyId/:nodeId', () => {
  test('starts a run with the payload as trigger and answers 202 { runId } after the commit', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    const res = await post(j.journeyId, { name: 'Ada' });
    expect(res.statusCode).toBe(202);
    const { runId } = res.json();
    const run = await t.runtime.db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ journey_id: j.journeyId, contact_id: null, trigger: { name: 'Ada' } });
    const { steps } = await runEnds(t.runtime.db, runId);
    expect(steps.map((s) => s.node_id)).toEqual(['hook', 'a']);
    expect(steps[1]?.output).toMatchObject({ label: 'Ada' });
  });

  test('accepts an HMAC-SHA256 signature of the raw body instead of the secret', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    const body = JSON.stringify({ name: 'Signed' });
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    expect((await post(j.journeyId, body, { 'x-waymark-signature': signature })).statusCode).toBe(202);
    const forged = `sha256=${createHmac('sha256', 'another-secret-entirely').update(body).digest('hex')}`;
    expect((await post(j.journeyId, body, { 'x-waymark-signature': forged })).statusCode).toBe(401);
  });

  test('refuses a wrong or missing secret with 401', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    const wrong = await post(j.journeyId, {}, { 'x-waymark-secret': 'nope' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('unauthorized');
    expect((await post(j.journeyId, {}, {})).statusCode).toBe(401);
  });

  test('answers 404 for an unknown journey, an unknown node and an unpublished journey', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    expect((await post('00000000-0000-4000-8000-000000000000', {})).statusCode).toBe(404);
    expect((await post('not-a-uuid', {})).statusCode).toBe(404);
    const other = await t.app.inject({
      method: 'POST',
      url: `/hooks/${j.journeyId}/a`,
      headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(other.statusCode).toBe(404);
    const draft = await t.runtime.db
      .insertInto('journeys')
      .values({
        workspace_id: sql`(select id from workspaces where is_default)`,
        name: 'draft',
        draft_graph: JSON.stringify(hookGraph()),
        draft_settings: '{}',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const res = await post(draft.id, {});
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });

  // Senders that name no type are taken (the body is read as bytes, its JSON checked); a
  // Content-Type header sent empty names none the route takes.
  test('a JSON body sent without a Content-Type starts a run; one with an empty Content-Type is 415', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    const call = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: `/hooks/${j.journeyId}/hook`,
        headers: { 'x-waymark-secret': SECRET, ...headers },
        payload: Buffer.from('{"name":"untyped"}'),
      });
    const untyped = await call({});
    expect(untyped.statusCode).toBe(202);
    expect(untyped.json().runId).toEqual(expect.any(String));
    const empty = await call({ 'content-type': '' });
    expect(empty.statusCode).toBe(415);
    expect(empty.json().error.code).toBe('unsupported_media_type');
  });

  test('an archived journey’s webhook answers 404 and starts nothing, also once it was called', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    const first = await post(j.journeyId, {});
    expect(first.statusCode).toBe(202);
    // Archived once its run has ended: an archive racing the run's step write is another matter.
    await runEnds(t.runtime.db, first.json().runId);
    const archived = await t.app.inject({ method: 'DELETE', url: `/api/journeys/${j.journeyId}`, headers: t.auth });
    expect(archived.statusCode).toBe(204);
    const res = await post(j.journeyId, {});
    expect([res.statusCode, res.json().error.code]).toEqual([404, 'not_found']);
    const runs = await t.runtime.db.selectFrom('runs').select('id').where('journey_id', '=', j.journeyId).execute();
    expect(runs).toHaveLength(1);
  });

  test('answers 409 journey_paused while the journey is paused', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    await t.runtime.db.updateTable('journeys').set({ status: 'paused' }).where('id', '=', j.journeyId).execute();
    const res = await post(j.journeyId, {});
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('journey_paused');
    expect(await t.runtime.db.selectFrom('runs').select('id').where('journey_id', '=', j.journeyId).execute()).toEqual(
      [],
    );
  });

  test('a journey paused after its webhook was called answers 409 and starts nothing more', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    expect((await post(j.journeyId, {})).statusCode).toBe(202);
    await t.runtime.db.updateTable('journeys').set({ status: 'paused' }).where('id', '=', j.journeyId).execute();
    const res = await post(j.journeyId, {});
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('journey_paused');
    const runs = await t.runtime.db.selectFrom('runs').select('id').where('journey_id', '=', j.journeyId).execute();
    expect(runs).toHaveLength(1);
  });

  test('a paused journey answers 409 even to a payload its schema refuses, once its webhook was cached', async () => {
    const schema = { type: 'object', required: ['name'] };
    const j = await publish(t.runtime.db, hookGraph({ schema }));
    expect((await post(j.journeyId, { name: 'x' })).statusCode).toBe(202);
    await t.runtime.db.updateTable('journeys').set({ status: 'paused' }).where('id', '=', j.journeyId).execute();
    const res = await post(j.journeyId, {});
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('journey_paused');
  });

  test('a republished secret is taken at once, and the old one refused', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    expect((await post(j.journeyId, {})).statusCode).toBe(202);
    const fresh = 'a-brand-new-webhook-secret';
    await publish(
      t.runtime.db,
      { ...hookGraph(), nodes: [n('hook', 'core.webhook', { secret: fresh }), n('a', 'tst.step')] },
      {},
      j.journeyId,
    );
    expect((await post(j.journeyId, {}, { 'x-waymark-secret': fresh })).statusCode).toBe(202);
    expect((await post(j.journeyId, {})).statusCode).toBe(401);
  });

  test('a journey republished after its webhook was called starts runs on the new version', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    expect((await post(j.journeyId, {})).statusCode).toBe(202);
    const v2 = await publish(t.runtime.db, hookGraph(), {}, j.journeyId);
    const res = await post(j.journeyId, { name: 'second' });
    expect(res.statusCode).toBe(202);
    const run = await t.runtime.db
      .selectFrom('runs')
      .select('version')
      .where('id', '=', res.json().runId)
      .executeTakeFirstOrThrow();
    expect(run.version).toBe(v2.version);
  });

  test('creates the contact a payload names for the first time, and binds later calls to it', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    const first = await post(j.journeyId, { email: 'New.Person@Example.com' });
    const second = await post(j.journeyId, { email: 'new.person@example.com' });
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    const contacts = await t.runtime.db
      .selectFrom('contacts')
      .select('id')
      .where('email', '=', 'new.person@example.com')
      .execute();
    expect(contacts).toHaveLength(1);
    const runs = await t.runtime.db
      .selectFrom('runs')
      .select('contact_id')
      .where('id', 'in', [first.json().runId, second.json().runId])
      .execute();
    expect(runs.map((r) => r.contact_id)).toEqual([contacts[0]?.id, contacts[0]?.id]);
  });

  test("with Prefer: wait, answers with what the run's core.respond step says, and the run goes on", async () => {
    const j = await publish(t.runtime.db, {
      nodes: [
        n('hook', 'core.webhook', { secret: SECRET }),
        n('answer', 'core.respond', { status: 201, body: { greeting: 'Hello {{ trigger.name }}' } }),
        n('a', 'tst.step'),
      ],
      edges: [e('hook', 'answer'), e('answer', 'a')],
    });
    const res = await post(j.journeyId, { name: 'Ada' }, { 'x-waymark-secret': SECRET, prefer: 'wait=5' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ greeting: 'Hello Ada' });
    const runId = res.headers['waymark-run-id'] as string;
    const { run, steps } = await runEnds(t.runtime.db, runId);
    expect(run.status).toBe('completed');
    expect(steps.map((s) => s.node_id)).toEqual(['hook', 'answer', 'a']);
  });

  test('with Prefer: wait, the core.respond answer is JSON by its Content-Type, as the 202 is', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('answer', 'core.respond', { status: 201, body: {} })],
      edges: [e('hook', 'answer')],
    });
    const res = await post(j.journeyId, {}, { 'x-waymark-secret': SECRET, prefer: 'wait=5' });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  test('with Prefer: wait, answers 202 as usual when no answer comes in time', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [
        n('hook', 'core.webhook', { secret: SECRET }),
        n('slow', 'tst.slow', { ms: 3000 }),
        n('answer', 'core.respond', { status: 200 }),
      ],
      edges: [e('hook', 'slow'), e('slow', 'answer')],
    });
    const began = Date.now();
    const res = await post(j.journeyId, {}, { 'x-waymark-secret': SECRET, prefer: 'wait=1' });
    expect(res.statusCode).toBe(202);
    expect(res.json().runId).toEqual(expect.any(String));
    expect(Date.now() - began).toBeGreaterThanOrEqual(900);
  });

  test('without Prefer: wait, a journey with core.respond answers 202 at once', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('answer', 'core.respond', { status: 201 })],
      edges: [e('hook', 'answer')],
    });
    const res = await post(j.journeyId, {});
    expect(res.statusCode).toBe(202);
  });

  test('answers 400 invalid_json for a body that is not JSON, 413 over 1 MiB', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    const bad = await post(j.journeyId, '{nope');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_json');
    const big = await post(j.journeyId, JSON.stringify({ blob: 'x'.repeat(1024 * 1024 + 10) }));
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('payload_too_large');
  });

  test('answers 400 naming the field for a payload holding a NUL character or a lone surrogate', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    for (const [payload, path] of [
      [{ email: 'hook-nul@example.com', order: { note: 'a\u0000b' } }, '/order/note'],
      [{ email: 'a\ud800@example.com' }, '/email'],
    ] as const) {
      const res = await post(j.journeyId, payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
      expect(res.json().error.details).toEqual([expect.objectContaining({ path })]);
    }
    const { rows } = await t.runtime.pool.query('select 1 from runs where journey_id = $1', [j.journeyId]);
    expect(rows).toEqual([]);
  });

  test('a contactId that is not a contact id is 400 naming it; an unknown one is 404', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    const bad = await post(j.journeyId, { contactId: 'not-a-uuid' });
    expect([bad.statusCode, bad.json().error.code, bad.json().error.details]).toEqual([
      400,
      'validation_failed',
      [{ path: '/contactId', message: 'must be a contact id (a UUID)' }],
    ]);
    const unknown = await post(j.journeyId, { contactId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.statusCode).toBe(404);
  });

  test('answers 422 schema_mismatch when the payload fails the node’s schema', async () => {
    const j = await publish(
      t.runtime.db,
      hookGraph({ schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } }),
    );
    const res = await post(j.journeyId, { age: 3 });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('schema_mismatch');
    expect((await post(j.journeyId, { name: 'ok' })).statusCode).toBe(202);
  });

  test('an Idempotency-Key repeat returns the first answer and starts nothing', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    const headers = { 'x-waymark-secret': SECRET, 'idempotency-key': 'order-42' };
    const first = await post(j.journeyId, { name: 'once' }, headers);
    const again = await post(j.journeyId, { name: 'twice' }, headers);
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual(first.json());
    const runs = await t.runtime.db.selectFrom('runs').select('id').where('journey_id', '=', j.journeyId).execute();
    expect(runs).toHaveLength(1);
  });

  test('concurrent repeats of one Idempotency-Key start one run', async () => {
    const j = await publish(t.runtime.db, hookGraph());
    const headers = { 'x-waymark-secret': SECRET, 'idempotency-key': 'burst' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(j.journeyId, {}, headers)));
    for (const a of answers) expect([202, 409]).toContain(a.statusCode);
    const runs = await t.runtime.db.selectFrom('runs').select('id').where('journey_id', '=', j.journeyId).execute();
    expect(runs).toHaveLength(1);
  });

  test('binds the run to the contact the payload names, and a re-entry refusal answers 200 skipped', async () => {
    const j = await publish(t.runtime.db, hookGraph(), { reentry: 'once' });
    const first = await post(j.journeyId, { email: 'ada@example.com', name: 'Ada' });
    expect(first.statusCode).toBe(202);
    const run = await t.runtime.db
      .selectFrom('runs')
      .select('contact_id')
      .where('id', '=', first.json().runId)
      .executeTakeFirstOrThrow();
    expect(run.contact_id).toMatch(/^[0-9a-f-]{36}$/);
    const second = await post(j.journeyId, { email: 'ada@example.com' });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual({ runId: null, skipped: 'reentry' });
  });

  test('answers 429 rate_limited with Retry-After over the journey’s webhook rate limit', async () => {
    const j = await publish(t.runtime.db, hookGraph(), { webhookRateLimit: { max: 2, window: 'PT1M' } });
    expect((await post(j.journeyId, {})).statusCode).toBe(202);
    expect((await post(j.journeyId, {})).statusCode).toBe(202);
    const limited = await post(j.journeyId, {});
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});
