import type { Channel } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';

/** What the installation-wide gauges show: read from the database, the same in every process. */
export interface InstallSnapshot {
  jobsDue: number;
  oldestDueAgeSeconds: number;
  waitsParked: { nodeType: string; count: number }[];
  backlog: { channel: string; count: number }[];
}

/** The channels Waymark sends on itself (the SDK's `Channel`): their backlog always has a series. */
export const BUILT_IN_CHANNELS = ['email', 'sms'] as const satisfies readonly Channel[];

/**
 * Each row's count by `keyOf(row)`, with a 0 for every `known` key no row has: a labelled gauge
 * has no series for a label value never set, so an idle installation would show "no data" where
 * it has 0 (Prometheus's "Writing exporters": initialise the label values you know). Keys seen
 * only in `rows` stay.
 */
export function withZeros<T extends { count: number }>(
  rows: readonly T[],
  keyOf: (row: T) => string,
  known: Iterable<string>,
): Map<string, number> {
  const all = new Map<string, number>();
  for (const key of known) all.set(key, 0);
  for (const row of rows) all.set(keyOf(row), row.count);
  return all;
}

/** How old a snapshot may be before a scrape reads the database again (API.md: at most 5 s). */
export const SNAPSHOT_MAX_AGE_MS = 5_000;

/**
 * Reads every installation gauge in ONE statement: the due jobs no worker holds (queue depth)
 * and the age of the oldest, the parked steps by node type (the node counters' `waiting`, the
 * canvas's figure; the type comes from the version's graph), and the messages not yet sent by
 * channel.
 */
export async function readInstallSnapshot(db: Kysely<Database>): Promise<InstallSnapshot> {
  const { rows } = await sql<{
    jobs_due: number;
    oldest_due_age: number | null;
    waits: { nodeType: string; count: number }[] | null;
    backlog: { channel: string; count: number }[] | null;
  }>`
    with due as (
      select count(*)::int as n, extract(epoch from now() - min(run_at))::float8 as age
      from graphile_worker._private_jobs
      where run_at <= now() and locked_at is null and attempts < max_attempts
    ), parked as (
      select journey_id, version, node_id, sum(waiting)::int as n
      from node_counters where output = '' group by 1, 2, 3 having sum(waiting) > 0
    ), typed as (
      select coalesce(node->>'type', 'unknown') as node_type, sum(p.n)::int as n
      from parked p
      left join journey_versions v on v.journey_id = p.journey_id and v.version = p.version
      left join lateral (
        select el as node from jsonb_array_elements(v.graph->'nodes') el where el->>'id' = p.node_id limit 1
      ) found on true
      group by 1
    ), backlog as (
      select channel, count(*)::int as n from messages where status in ('queued', 'delayed') group by 1
    )
    select (select n from due) as jobs_due, (select age from due) as oldest_due_age,
      (select json_agg(json_build_object('nodeType', node_type, 'count', n)) from typed) as waits,
      (select json_agg(json_build_object('channel', channel, 'count', n)) from backlog) as backlog
  `.execute(db);
  const row = rows[0];
  return {
    jobsDue: row?.jobs_due ?? 0,
    oldestDueAgeSeconds: Math.max(0, row?.oldest_due_age ?? 0),
    waitsParked: row?.waits ?? [],
    backlog: row?.backlog ?? [],
  };
}
