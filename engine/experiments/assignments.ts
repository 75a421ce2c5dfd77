import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';

/** A split's experiment unit: the contact, or an anonymous run alone (as `split_units.unit`). */
export const splitUnit = (run: { id: string; contactId: string | null }): string => run.contactId ?? `run:${run.id}`;

/** One unit at one split of a journey. */
export interface AssignmentKey {
  journeyId: string;
  nodeId: string;
  unit: string;
}

/** Reads a unit's first assignment by weight at a split (`firstAssignments`, or a batch's loader of it). */
export type AssignmentReader = (key: AssignmentKey) => Promise<string | null>;

/**
 * The variant each unit was first assigned by weight at its split (any version, any test
 * period), in the keys' order: null for a unit never assigned by weight there. One statement
 * for every key, each row named by the whole primary key (a lateral lookup a key): a join of
 * the keys to `split_units` was planned, while the table's statistics lagged its growth, as a
 * read of every unit of the split a batch (92 ms for 100 keys at 10,000 units, doubling the
 * journey bench's PostgreSQL time a step).
 *
 * @example
 * await firstAssignments(db, [{ journeyId, nodeId: 'ab', unit: contactId }]) // ['b']
 */
export async function firstAssignments(
  db: Kysely<Database>,
  keys: readonly AssignmentKey[],
): Promise<(string | null)[]> {
  if (!keys.length) return [];
  const { rows } = await sql<{ variant: string | null }>`
    select u.variant
    from unnest(${keys.map((k) => k.journeyId)}::uuid[], ${keys.map((k) => k.nodeId)}::text[],
      ${keys.map((k) => k.unit)}::text[]) with ordinality k(journey_id, node_id, unit, i)
    left join lateral (
      select s.variant from split_units s
      where s.journey_id = k.journey_id and s.node_id = k.node_id and s.unit = k.unit and s.by = 'weights'
      limit 1
    ) u on true
    order by k.i`.execute(db);
  return rows.map((r) => r.variant);
}
