import type { ContactEvent } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { JourneyGoal } from '../graph/types.js';
import { endRuns } from '../runs/end-runs.js';
import { eventFilterMatcher } from '../runs/event-effects.js';

/**
 * Runs inside the transaction that stores `event`: every not-yet-converted run of the
 * contact whose version's goal names the event, matches its filter and holds its timestamp
 * in [startedAt, startedAt + windowSeconds] converts (the first qualifying event wins).
 * `candidates` are those runs but for the filter, as `EVENT_CANDIDATES` reads them.
 * Each conversion is attributed to the run's nodes and outputs taken so far (split variants
 * included) in the hour's rollups; runs with `exitOnGoal` still live end as `exited`/`goal`.
 * Returns the runs that converted.
 */
export async function recordConversions(
  trx: Kysely<Database>,
  event: ContactEvent,
  candidates: readonly { id: string; goal: JourneyGoal }[],
): Promise<string[]> {
  if (candidates.length === 0) return [];
  const goalMatches = await eventFilterMatcher(
    trx,
    event,
    candidates.map((c) => c.goal.filter),
  );
  const matching = candidates.filter((c) => goalMatches(c.goal.filter));
  if (matching.length === 0) return [];
  const { rows: converted } = await sql<{ run_id: string; exit: boolean }>`
    with won as (
      insert into run_conversions (run_id, workspace_id, journey_id, version, contact_id, event_id, at)
      select r.id, r.workspace_id, r.journey_id, r.version, r.contact_id,
        ${event.id}::uuid, ${event.timestamp}::timestamptz
      from runs r where r.id = any(${matching.map((c) => c.id)}::uuid[])
      order by r.id
      on conflict (run_id) do nothing
      returning run_id, journey_id, version, contact_id, at
    ), attributed as (
      -- The nodes the run has a step at, and the outputs those steps took.
      select w.journey_id, w.version, s.node_id, o.output, w.at
      from won w
      join steps s on s.run_id = w.run_id
      cross join lateral (
        select '' as output
        union
        select unnest(coalesce(s.outputs_taken, '{}'))
      ) o
      group by w.run_id, w.journey_id, w.version, s.node_id, o.output, w.at
    ), split_steps as (
      select distinct w.journey_id, s.node_id, w.contact_id::text as unit, s.output ->> 'variant' as variant, w.at
      from won w join steps s on s.run_id = w.run_id
      where s.status = 'completed' and jsonb_typeof(s.output -> 'variant') = 'string'
    ), units as (
      update split_units u set goal_at = x.at
      from split_steps x
      where u.journey_id = x.journey_id and u.node_id = x.node_id and u.unit = x.unit and u.variant = x.variant
        and u.by = 'weights' and u.goal_at is null
      returning u.journey_id, u.node_id, u.variant, x.at
    ), rolled as (
      select waymark_add_rollups(coalesce((select json_agg(d) from (
        select journey_id as "journeyId", version, '' as "nodeId", null as output, null as variant, at as hour,
          'converted' as metric, 1 as n from won
        union all
        select journey_id, version, node_id, output, null, at, 'converted', 1 from attributed
        union all
        select journey_id, 0, node_id, null, variant, at, 'unit-goal', 1 from units
      ) d), '[]'))
    )
    select w.run_id, coalesce((v.settings -> 'goal' ->> 'exitOnGoal')::boolean, false) as exit
    from won w
    join journey_versions v on v.journey_id = w.journey_id and v.version = w.version
    cross join rolled
  `.execute(trx);
  const exiting = converted.filter((c) => c.exit).map((c) => c.run_id);
  if (exiting.length) await endRuns(trx, { runIds: exiting }, 'exited', { outcome: 'goal' });
  return converted.map((c) => c.run_id);
}
