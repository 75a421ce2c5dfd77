import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { FlowRate } from '../../graph/types.js';
import type { CompiledVersion } from '../versions.js';

/**
 * What a journey's flow control (API.md "Journey flow control") allows the entries of one
 * statement: how many more may enter at all (`remaining`, null: no cap) and, under an entry
 * rate, the time each next entry enters (`slots`, in arrival order; null: all at once).
 */
export interface EntryGate {
  remaining: number | null;
  slots: Date[] | null;
  /** The database's time when the gate opened: a slot after it is an entry to queue. */
  now: Date | null;
}

/** Whether a version limits its entries: they then go through `openGate`, one statement at a time. */
export function isGated(version: CompiledVersion): boolean {
  const { maxEntries, entryRate } = version.settings;
  return typeof maxEntries === 'number' || Boolean(entryRate);
}

/**
 * The times of the next `n` entries under `rate`, after the `recent` ones (oldest first): each
 * enters at once, or `perSeconds` after the entry `count` places before it, so no sliding
 * window ever holds more than `count` entries and later arrivals keep their order.
 */
export function entrySlots(recent: readonly Date[], n: number, rate: FlowRate, now: Date): Date[] {
  const all = [...recent];
  const slots: Date[] = [];
  for (let i = 0; i < n; i++) {
    const before = all[all.length - rate.count];
    const earliest = before ? new Date(before.getTime() + rate.perSeconds * 1000) : now;
    const slot = earliest > now ? earliest : now;
    all.push(slot);
    slots.push(slot);
  }
  return slots;
}

/**
 * Takes the journey's entry lock for the caller's transaction (entries racing for the last
 * places of a cap, or for the next times of a rate, go one statement after another) and
 * answers what up to `wanted` new entries may do. Runs of every version count toward the cap.
 */
export async function openGate(trx: Kysely<Database>, version: CompiledVersion, wanted: number): Promise<EntryGate> {
  const { journeyId } = version;
  const { maxEntries, entryRate } = version.settings;
  await sql`select pg_advisory_xact_lock(hashtext(${`journey-entries:${journeyId}`}))`.execute(trx);
  const { rows } = await sql<{ entered: number; recent: Date[] | null; now: Date }>`
    select (select count(*)::int from runs where journey_id = ${journeyId}::uuid) as entered,
      (select recent from journey_entry_slots where journey_id = ${journeyId}::uuid) as recent,
      clock_timestamp() as now`.execute(trx);
  const row = rows[0] as { entered: number; recent: Date[] | null; now: Date };
  const remaining = typeof maxEntries === 'number' ? Math.max(0, maxEntries - row.entered) : null;
  const slots = entryRate
    ? entrySlots(
        (row.recent ?? []).map((d) => new Date(d)),
        Math.min(wanted, remaining ?? wanted),
        entryRate,
        new Date(row.now),
      )
    : null;
  return { remaining, slots, now: new Date(row.now) };
}

/** Remembers the times given to the `used` entries that went in, the latest `count` kept. */
export async function closeGate(trx: Kysely<Database>, version: CompiledVersion, used: readonly Date[]) {
  const rate = version.settings.entryRate;
  if (!rate || used.length === 0) return;
  await sql`
    insert into journey_entry_slots (journey_id, workspace_id, recent)
    select id, workspace_id, ${used.slice(-rate.count).map((d) => d.toISOString())}::timestamptz[]
    from journeys where id = ${version.journeyId}::uuid
    on conflict (journey_id) do update set recent = (
      select coalesce(array_agg(t order by t), '{}') from (
        select t from unnest(journey_entry_slots.recent || excluded.recent) t order by t desc limit ${rate.count}
      ) latest)`.execute(trx);
}
