import type { JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { NormalizedIdentity } from '../contacts/bind.js';
import type { Database } from '../db/database.js';
import { activeCarrier } from '../observability/trace-context.js';
import { queueJobsFor, STEPS_CHANNEL } from './bookkeeping.js';
import type { Dispatch } from './dispatch.js';
import { decideTrigger } from './kernel/decide.js';
import type { CompiledVersion } from './versions.js';

/** Who the new runs are for: known contact ids (null = an anonymous run), or one identity to look up. */
export type RunContacts = { ids: readonly (string | null)[] } | { identity: NormalizedIdentity };

export interface InsertRunsInput {
  version: CompiledVersion;
  triggerNodeId: string;
  /** The output the trigger leaves by. */
  output: string;
  contacts: RunContacts;
  trigger: JsonObject;
  /** Start nothing unless the journey is still active on this version (webhooks). */
  onlyIfLive?: boolean;
  /**
   * Mark the new steps `needs_job` and leave queueing their jobs (and the live-feed notices)
   * to the caller's `JobDispatcher`: the statement then NOTIFYs nothing and commits in a
   * group with its peers. Otherwise the jobs are queued in the statement.
   */
  dispatch?: boolean;
}

export interface InsertRunsResult {
  runIds: string[];
  /** With `dispatch`: what the dispatcher must queue. */
  dispatch: Dispatch;
  /** False when `onlyIfLive` found the journey paused, archived or on another version. */
  live: boolean;
  /**
   * False when an identity was given that no single stored contact holds whole (nor could a
   * new contact take it): bind it with `bindContact`, then start with the id.
   */
  bound: boolean;
}

/** `reentry_lock` for a new run: the unique key that turns a contact away. */
export function reentryLockOf(version: CompiledVersion): string | null {
  const rule = version.settings.reentry;
  return rule === 'once' ? 'once' : rule === 'once-at-a-time' ? 'active' : null;
}

/**
 * Starts runs in ONE statement, so a webhook costs one round trip: the contact found or
 * created for an identity, the runs (re-entry rules
 * applied), their completed trigger steps, the first steps after the trigger with their jobs,
 * the node counters and the live-feed notices (or, with `dispatch`, the steps marked for the
 * dispatcher). Outside a transaction the statement is its own: it commits before this returns.
 */
export async function insertRuns(db: Kysely<Database>, input: InsertRunsInput): Promise<InsertRunsResult> {
  const { version, triggerNodeId, output } = input;
  const journeyId = version.journeyId;
  // Every run enters the same way: the kernel's trigger transition, multiplied in the statement.
  const entry = decideTrigger(version, triggerNodeId, output);
  const targets = entry.next;
  const lock = reentryLockOf(version);
  const byIdentity = 'identity' in input.contacts ? input.contacts.identity : null;
  const ids = 'ids' in input.contacts ? [...input.contacts.ids] : [];
  const dispatch = input.dispatch === true;
  // The span this start runs in (a webhook's, a request's, a trigger's) parents the run's steps.
  const carrier = activeCarrier();
  const { rows } = await sql<{
    run_ids: string[] | null;
    next_step_ids: string[] | null;
    live: boolean;
    bound: boolean;
  }>`
    with live as (
      select 1 where ${!input.onlyIfLive} or exists (select 1 from journeys
        where id = ${journeyId}::uuid and status = 'live' and published_version = ${version.version}::int)
    ), found as (
      select c.id from contacts c
      where ${byIdentity !== null}
        and (c.id = ${byIdentity?.contactId ?? null}::uuid or c.email = ${byIdentity?.email ?? null}
          or c.phone = ${byIdentity?.phone ?? null} or c.external_id = ${byIdentity?.externalId ?? null})
    ), created as (
      insert into contacts (email, phone, external_id)
      select ${byIdentity?.email ?? null}::text, ${byIdentity?.phone ?? null}::text, ${byIdentity?.externalId ?? null}::text
      where ${byIdentity !== null && byIdentity.contactId === undefined} and not exists (select 1 from found)
      on conflict do nothing
      returning id
    ), bound as (
      select f.id from found f join contacts c on c.id = f.id
      where (select count(*) from found) = 1
        and (${byIdentity?.email ?? null}::text is null or c.email = ${byIdentity?.email ?? null})
        and (${byIdentity?.phone ?? null}::text is null or c.phone = ${byIdentity?.phone ?? null})
        and (${byIdentity?.externalId ?? null}::text is null or c.external_id = ${byIdentity?.externalId ?? null})
      union all select id from created
    ), candidates as (
      select distinct c.contact_id from (
        select unnest(${ids}::uuid[]) as contact_id where ${byIdentity === null}
        union all select id from bound
      ) c
      where exists (select 1 from live)
        and (${lock}::text is null or c.contact_id is null or not exists (
          select 1 from runs r where r.journey_id = ${journeyId}::uuid and r.contact_id = c.contact_id
            and (${lock} = 'once' or r.status in ('running', 'waiting'))))
    ), new_runs as (
      insert into runs (journey_id, version, contact_id, trigger, trigger_node_id, open_steps, status, ended_at, reentry_lock, trace_context)
      select ${journeyId}::uuid, ${version.version}::int, contact_id, ${JSON.stringify(input.trigger)}::jsonb, ${triggerNodeId}::text,
        ${targets.length}::int, ${targets.length ? 'running' : 'completed'}::text, ${targets.length ? null : sql`now()`}::timestamptz,
        case when contact_id is null then null else ${targets.length ? lock : lock === 'once' ? 'once' : null}::text end,
        ${carrier === null ? null : JSON.stringify(carrier)}::jsonb
      from candidates order by contact_id
      on conflict (journey_id, contact_id, reentry_lock) where reentry_lock is not null do nothing
      returning id
    ), trigger_steps as (
      insert into steps (run_id, journey_id, version, node_id, status, attempts, started_at, finished_at, outputs_taken, output)
      select id, ${journeyId}::uuid, ${version.version}::int, ${triggerNodeId}::text, 'completed', 1, now(), now(), array[${output}::text], 'null'::jsonb
      from new_runs
      returning run_id, id
    ), next_steps as (
      insert into steps (run_id, journey_id, version, node_id, parent_step_id, needs_job)
      select t.run_id, ${journeyId}::uuid, ${version.version}::int, n.node_id, t.id, ${dispatch}
      from trigger_steps t cross join unnest(${targets}::text[]) as n(node_id)
      returning id, node_id
    ), jobs as (${dispatch ? sql`select 1 where false` : queueJobsFor(sql`next_steps`)}
    ), started as (
      select count(*) as n from trigger_steps
    ), counted as (
      select waymark_add_counters(json_agg(json_build_object('journeyId', ${journeyId}::uuid,
        'version', ${version.version}::int, 'nodeId', d."nodeId", 'output', d.output, 'entered', d.entered * s.n,
        'completed', d.completed * s.n, 'taken', d.taken * s.n)))
      from json_to_recordset(${JSON.stringify(entry.counters)}::json)
        as d("nodeId" text, output text, entered bigint, completed bigint, taken bigint)
        cross join started s
      where s.n > 0
      having count(*) > 0
    ), notified as (
      select pg_notify(${STEPS_CHANNEL}, json_build_object('journeyId', ${journeyId}::uuid, 'version', ${version.version}::int,
        'runId', t.run_id, 'nodeId', ${triggerNodeId}::text, 'status', 'completed')::text)
      from trigger_steps t where ${!dispatch}
    )
    select (select array_agg(run_id) from trigger_steps) as run_ids,
      (select array_agg(id) from next_steps) as next_step_ids,
      exists (select 1 from live) as live,
      (${byIdentity === null} or exists (select 1 from bound)) as bound,
      (select count(*) from jobs) + (select count(*) from counted) + (select count(*) from notified) as written
  `.execute(db);
  const row = rows[0];
  const runIds = row?.run_ids ?? [];
  const base = { journeyId, version: version.version, nodeId: triggerNodeId, status: 'completed' as const };
  return {
    runIds,
    dispatch: dispatch
      ? { stepIds: row?.next_step_ids ?? [], notices: runIds.map((runId) => ({ ...base, runId })) }
      : { stepIds: [], notices: [] },
    live: row?.live ?? false,
    bound: row?.bound ?? false,
  };
}
