import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, eventually, n } from '../../engine/support.js';
import { api } from '../../failures/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type StandIn, startStandIn } from '../stand-in.js';
import { arrivals, busiestWindow } from './arrivals.js';

// sending.md "Send rates and the backlog": a credential's maxPerSecond changed while messages
// are held for it. Held messages keep a stored place (rate_slot_at) and their steps wake at it;
// a new rate re-places them. The assertions read the stored places and count arrivals at the
// stand-in server, never how long anything took.

const SECRET = 'a-secret-of-16-chars';
let t: TestApp;
let server: StandIn;
let worker: WorkerHandle;

beforeAll(async () => {
  server = await startStandIn(() => ({
    status: 200,
    body: { MessageID: `pm-${Math.random()}`, ErrorCode: 0, Message: 'OK' },
  }));
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker.stop();
  await t.close();
  await server.close();
});

const data = (maxPerSecond?: number) => ({
  serverToken: 'pm-token',
  endpoint: server.url,
  ...(maxPerSecond ? { maxPerSecond } : {}),
});

/** A postmark.server credential at `maxPerSecond` and a published journey: webhook → email.send through it. */
async function journeyAt(maxPerSecond: number) {
  const credential = await api(t, {
    method: 'POST',
    url: '/api/credentials',
    payload: { name: 'postmark', type: 'postmark.server', data: data(maxPerSecond) },
  });
  const mail = n('mail', 'email.send', {
    from: 'News <news@example.com>',
    subject: 'Hello',
    html: '<p>Hello</p>',
    category: 'transactional',
    credential: credential.body.id,
  });
  const graph = { nodes: [n('hook', 'core.webhook', { secret: SECRET }), mail], edges: [e('hook', 'mail')] };
  const created = await api(t, { method: 'POST', url: '/api/journeys', payload: { name: 'Rates', graph } });
  await api(t, { method: 'POST', url: `/api/journeys/${created.body.id}/publish` });
  return { credentialId: credential.body.id as string, journeyId: created.body.id as string };
}

/**
 * Enters `count` contacts at once and waits until each of their messages is sent or held for
 * the rate with its step parked: none is being placed as the rate changes.
 */
async function burst(journeyId: string, credentialId: string, prefix: string, count: number) {
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      t.app.inject({
        method: 'POST',
        url: `/hooks/${journeyId}/hook`,
        headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
        payload: { email: `${prefix}${i}@example.com` },
      }),
    ),
  );
  await eventually(async () => {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from messages where credential_id = ${credentialId} and status = 'sent'`.execute(
      t.runtime.db,
    );
    return (rows[0]?.n ?? 0) + (await wakeTimes(credentialId)).length >= count || undefined;
  }, 30_000);
}

/** The places of the credential's held messages, in queue order (ms since the epoch). */
async function heldSlots(credentialId: string): Promise<number[]> {
  const { rows } = await sql<{ slot: Date }>`
    select rate_slot_at as slot from messages
    where credential_id = ${credentialId} and status = 'queued' and rate_slot_at is not null and rate_sent_at is null
    order by rate_slot_at`.execute(t.runtime.db);
  return rows.map((r) => new Date(r.slot).getTime());
}

/** When the steps of the credential's held messages are to wake (ms since the epoch). */
async function wakeTimes(credentialId: string): Promise<number[]> {
  const { rows } = await sql<{ wake: Date }>`
    select s.wake_at as wake from messages m join steps s
      on s.run_id = m.run_id and s.node_id = m.node_id and coalesce(s.idempotency_key, s.id)::text = m.idempotency_key
    where m.credential_id = ${credentialId} and m.status = 'queued' and m.rate_slot_at is not null
      and m.rate_sent_at is null and s.status = 'waiting'`.execute(t.runtime.db);
  return rows.map((r) => new Date(r.wake).getTime());
}

async function setRate(credentialId: string, maxPerSecond?: number): Promise<number> {
  const res = await api(t, {
    method: 'PUT',
    url: `/api/credentials/${credentialId}`,
    payload: { data: data(maxPerSecond) },
  });
  expect(res.status).toBe(200);
  return Date.now();
}

describe("a credential's maxPerSecond changed while messages are held for it", () => {
  test('raised: the held messages are re-placed under the new rate, and their steps wake for it', async () => {
    const { credentialId, journeyId } = await journeyAt(1);
    await burst(journeyId, credentialId, 'raised', 12);
    // At 1/s the last held place is seconds away.
    const before = await heldSlots(credentialId);
    expect((before.at(-1) as number) - Date.now()).toBeGreaterThan(3000);

    const changed = await setRate(credentialId, 1000);
    const after = await heldSlots(credentialId);
    expect(after.length).toBeGreaterThan(0);
    // Every message still held now has its place within a second of the change (1000/s), not seconds on.
    for (const slot of after) expect(slot).toBeLessThan(changed + 1000);
    for (const wake of await wakeTimes(credentialId)) expect(wake).toBeLessThan(changed + 1000);
    expect(await arrivals(server, 'raised', 12)).toHaveLength(12);
  }, 60_000);

  test('removed: the held messages go without waiting for their old places', async () => {
    const { credentialId, journeyId } = await journeyAt(1);
    await burst(journeyId, credentialId, 'removed', 10);
    // Their steps are parked until places seconds away.
    expect(Math.max(...(await wakeTimes(credentialId))) - Date.now()).toBeGreaterThan(3000);
    const changed = await setRate(credentialId);
    const wakes = await wakeTimes(credentialId);
    expect(wakes.length).toBeGreaterThan(0);
    for (const wake of wakes) expect(wake).toBeLessThan(changed + 1000);
    expect(await arrivals(server, 'removed', 10)).toHaveLength(10);
  }, 60_000);

  test('lowered: the held messages are spaced at the new rate, and none goes faster', async () => {
    const { credentialId, journeyId } = await journeyAt(4);
    await burst(journeyId, credentialId, 'lowered', 16);
    const changed = await setRate(credentialId, 1);
    const after = await heldSlots(credentialId);
    for (let i = 1; i < after.length; i++)
      expect((after[i] as number) - (after[i - 1] as number)).toBeGreaterThanOrEqual(999);
    const got = (await arrivals(server, 'lowered', 16)).map((r) => r.at);
    // Requests handed over after the change (a second on, past any on their way before it) keep to 1/s.
    expect(
      busiestWindow(
        got.filter((at) => at >= changed + 1000),
        1000,
      ),
    ).toBeLessThanOrEqual(1);
  }, 60_000);
});
