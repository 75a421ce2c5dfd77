import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { addStepJobs } from '../runs/bookkeeping.js';
import { lockRuns } from '../runs/end-runs.js';

/**
 * The places of `count` held messages under a rate of `max` per `windowMs`, from `now`, after
 * `before` (the last `max` places taken, oldest first): as waymark_take_rate_slot places a new
 * message (migrations/0071) — not before now, after the place before it, and a window after the
 * place `max` before it. Without a rate every one may go now.
 */
export function placesFrom(now: Date, before: readonly Date[], count: number, max: number | null, windowMs = 1000) {
  if (max === null) return Array.from({ length: count }, () => now);
  const places = [...before];
  const placed: Date[] = [];
  for (let i = 0; i < count; i++) {
    const last = places.at(-1);
    const earlier = places.length >= max ? places[places.length - max] : undefined;
    const at = Math.max(now.getTime(), last ? last.getTime() + 1 : 0, earlier ? earlier.getTime() + windowMs : 0);
    placed.push(new Date(at));
    places.push(new Date(at));
  }
  return placed;
}

/**
 * Re-places the messages held for a credential's send rate under its new `maxPerSecond` (null:
 * no rate any more), in the transaction that stores it (sending.md "Send rates and the backlog"):
 * each one's place is taken again in queue order from now, as if it came now under the new
 * rate, and its step wakes at that place. Raised or removed, the next ones go as soon as the
 * new rate lets them; lowered, they are spaced at it (and a step that wakes at its old, earlier
 * time finds its new place and parks again). Under the rate's lock, as every place is taken.
 */
export async function replaceHeldMessages(
  trx: Kysely<Database>,
  credentialId: string,
  maxPerSecond: number | null,
): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`send-rate:credential:${credentialId}`}))`.execute(trx);
  const held = await sql<{ id: string; run_id: string | null }>`
    select id, run_id from messages
    where credential_id = ${credentialId} and status = 'queued' and rate_slot_at is not null and rate_sent_at is null
    order by rate_slot_at`.execute(trx);
  if (held.rows.length === 0) return;
  // The messages' runs first, as every writer of a run's steps locks them (lockRuns).
  await lockRuns(
    trx,
    held.rows.flatMap((m) => (m.run_id ? [m.run_id] : [])),
  );
  const { rows: clock } = await sql<{ now: Date }>`select clock_timestamp() as now`.execute(trx);
  const now = new Date((clock[0] as { now: Date }).now);
  // The places taken last by messages no longer held (handed over, or on their way): the window's start.
  const { rows: taken } = await sql<{ slot: Date }>`
    select rate_slot_at as slot from messages
    where credential_id = ${credentialId} and rate_slot_at is not null
      and (rate_sent_at is not null or status <> 'queued')
    order by rate_slot_at desc limit ${maxPerSecond ?? 0}`.execute(trx);
  const before = taken.map((r) => new Date(r.slot)).reverse();
  const places = placesFrom(now, before, held.rows.length, maxPerSecond);
  const woken = await sql<{ id: string; node_id: string; place: Date }>`
    with placed as (
      select * from unnest(${held.rows.map((m) => m.id)}::uuid[], ${places}::timestamptz[]) as p(id, place)
    ), moved as (
      update messages m set rate_slot_at = p.place, delayed_until = p.place
      from placed p where m.id = p.id
      returning m.id, m.run_id, m.node_id, m.idempotency_key, p.place
    ), parked as (
      select s.id, s.node_id, s.wake_at as was, m.place from moved m join steps s
        on s.run_id = m.run_id and s.node_id = m.node_id and s.status = 'waiting'
          and coalesce(s.idempotency_key, s.id)::text = m.idempotency_key
      for update of s
    ), woken as (
      update steps s set wake_at = p.place from parked p where s.id = p.id
      returning s.id, s.node_id, p.place, p.was
    )
    select id, node_id, place from woken where was is null or place < was`.execute(trx);
  // A step due earlier wakes at its new place; one due later keeps its job and parks again when it wakes.
  await addStepJobs(
    trx,
    woken.rows.map((w) => ({ stepId: w.id, nodeId: w.node_id, runAt: new Date(w.place) })),
  );
}
