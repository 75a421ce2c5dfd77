import type { JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { NormalizedIdentity } from '../contacts/bind.js';
import type { Database } from '../db/database.js';
import { activeCarrier, type TraceCarrier } from '../observability/trace-context.js';
import { queueJobsFor, STEPS_CHANNEL } from './bookkeeping.js';
import type { Dispatch } from './dispatch.js';
import { decideTrigger } from './kernel/decide.js';
import type { CompiledVersion } from './versions.js';

/**
 * Who the new runs are for: known contact ids (null = an anonymous run; each id once), sharing
 * `trigger`; or calls (webhooks), one run each, every call with its own identity to look up or
 * create (null = anonymous) and its own trigger.
 */
export type RunContacts = { ids: readonly (string | null)[] } | { calls: readonly RunCall[] };

/** One webhook call's run: the contact it names and its payload. */
export interface RunCall {
  identity: NormalizedIdentity | null;
  trigger: JsonObject;
  /**
   * The trace context the call arrived in, stored with its run (null: none). Omitted: the
   * context active when `insertRuns` is called.
   */
  traceContext?: TraceCarrier | null;
}

export interface InsertRunsInput {
  version: CompiledVersion;
  triggerNodeId: string;
  /** The output the trigger leaves by. */
  output: string;
  contacts: RunContacts;
  /** The trigger value of runs started for `ids`. */
  trigger?: JsonObject;
  /** Start nothing unless the journey is still active on this version (webhooks). */
  onlyIfLive?: boolean;
  /**
   * Mark the new steps `needs_job` and leave queueing their jobs (and the live-feed notices)
   * to the caller's `JobDispatcher`: the statement then NOTIFYs nothing and commits in a
   * group with its peers. Otherwise the jobs are queued in the statement.
   */
  dispatch?: boolean;
}

/** What became of one call: its run (null: turned away by re-entry), or not bound. */
export interface CallResult {
  runId: string | null;
  /**
   * False when its identity is held by no single stored contact whole (nor could a new
   * contact take it): bind it with `bindContact`, then start with the id.
   */
  bound: boolean;
}

export interface InsertRunsResult {
  runIds: string[];
  /** With `calls`: each call's result, in order. */
  calls: CallResult[];
  /** With `dispatch`: what the dispatcher must queue. */
  dispatch: Dispatch;
  /** False when `onlyIfLive` found the journey paused, archived or on another version. */
  live: boolean;
}

/** `reentry_lock` for a new run: the unique key that turns a contact away. */
export function reentryLockOf(version: CompiledVersion): string | null {
  const rule = version.settings.reentry;
  return rule === 'once' ? 'once' : rule === 'once-at-a-time' ? 'active' : null;
}

/**
 * Starts runs in ONE statement, for one webhook call or a group of them, or for 100,000
 * contacts: each call's contact found or created for its identity, the runs (re-entry rules
 * applied), their completed trigger steps, the first steps after the trigger with their jobs,
 * the node counters and the live-feed notices (or, with `dispatch`, the steps marked for the
 * dispatcher). Outside a transaction the statement is its own: it commits before this returns.
 *
 * @example
 * const { runIds } = await insertRuns(db, { version, triggerNodeId: 't', output: 'out', contacts: { ids }, trigger: {} });
 */
export async function insertRuns(db: Kysely<Database>, input: InsertRunsInput): Promise<InsertRunsResult> {
  const { version, triggerNodeId, output } = input;
  const journeyId = version.journeyId;
  // Every run enters the same way: the kernel's trigger transition, multiplied in the statement.
  const entry = decideTrigger(version, triggerNodeId, output);
  const targets = entry.next;
  const lock = reentryLockOf(version);
  const calls = 'calls' in input.contacts ? input.contacts.calls : [];
  const ids = 'ids' in input.contacts ? [...input.contacts.ids] : [];
  const dispatch = input.dispatch === true;
  // The span this start runs in (a webhook's, a request's, a trigger's) parents the run's steps;
  // a call of a group carries the span it arrived in.
  const carrier = activeCarrier();
  const callRows = calls.map((c, ord) => ({
    ord,
    ...(c.identity ?? {}),
    trigger: c.trigger,
    traceContext: c.traceContext === undefined ? carrier : c.traceContext,
  }));
  const { rows } = await sql<{
    run_ids: string[] | null;
    next_step_ids: string[] | null;
    calls: { ord: number; runId: string | null; bound: boolean }[] | null;
    live: boolean;
  }>`
    with live as (
      select 1 where ${!input.onlyIfLive} or exists (select 1 from journeys
        where id = ${journeyId}::uuid and status = 'live' and published_version = ${version.version}::int)
    ), workspace as (
      -- Contacts are found, created and started only in the journey's workspace.
      select workspace_id from journeys where id = ${journeyId}::uuid
    ), calls as (
      select k.ord, k."contactId" as contact_id, k.email, k.phone, k."externalId" as external_id, k.trigger,
        k."traceContext" as trace_context,
        coalesce(k."contactId"::text, k.email, k.phone, k."externalId") is not null as named
      from json_to_recordset(${JSON.stringify(callRows)}::json)
        as k(ord int, "contactId" uuid, email text, phone text, "externalId" text, trigger jsonb, "traceContext" jsonb)
    ), found as (
      -- A merged-away contact's id and identity values name its survivor (contract identity.md).
      select k.ord, coalesce(c.merged_into, c.id) as id, c.email, c.phone, c.external_id from calls k
        join contacts c on c.id = k.contact_id and c.workspace_id = (select workspace_id from workspace)
      union select k.ord, coalesce(c.merged_into, c.id) as id, c.email, c.phone, c.external_id from calls k
        join contacts c on c.email = k.email and c.workspace_id = (select workspace_id from workspace)
      union select k.ord, coalesce(c.merged_into, c.id) as id, c.email, c.phone, c.external_id from calls k
        join contacts c on c.phone = k.phone and c.workspace_id = (select workspace_id from workspace)
      union select k.ord, coalesce(c.merged_into, c.id) as id, c.email, c.phone, c.external_id from calls k
        join contacts c on c.external_id = k.external_id and c.workspace_id = (select workspace_id from workspace)
    ), created as (
      insert into contacts (workspace_id, email, phone, external_id)
      select distinct (select workspace_id from workspace), k.email, k.phone, k.external_id from calls k
      where k.named and k.contact_id is null and exists (select 1 from live)
        and not exists (select 1 from found f where f.ord = k.ord)
      on conflict do nothing
      returning id, email, phone, external_id
    ), bound as (
      select distinct f.ord, f.id as contact_id from found f join calls k on k.ord = f.ord
      where (select count(distinct g.id) from found g where g.ord = f.ord) = 1
        and (k.email is null or f.email = k.email) and (k.phone is null or f.phone = k.phone)
        and (k.external_id is null or f.external_id = k.external_id)
      union all
      select k.ord, c.id from calls k join created c on c.email is not distinct from k.email
        and c.phone is not distinct from k.phone and c.external_id is not distinct from k.external_id
      where k.contact_id is null and not exists (select 1 from found f where f.ord = k.ord)
    ), entrants as (
      select k.ord, b.contact_id, k.trigger, k.trace_context from calls k left join bound b on b.ord = k.ord
      where not k.named or b.contact_id is not null
      union all
      -- Ids given are of the journey's workspace: events start journeys of their contact's
      -- workspace, segments look at their journey's.
      select null::int, d.contact_id, ${JSON.stringify(input.trigger ?? {})}::jsonb,
        ${carrier === null ? null : JSON.stringify(carrier)}::jsonb
      from (select distinct unnest(${ids}::uuid[]) as contact_id) d
    ), candidates as (
      select e.*, gen_random_uuid() as run_id from entrants e
      where exists (select 1 from live)
        and (${lock}::text is null or e.contact_id is null or not exists (
          select 1 from runs r where r.journey_id = ${journeyId}::uuid and r.contact_id = e.contact_id
            and (${lock} = 'once' or r.status in ('running', 'waiting'))))
    ), new_runs as (
      insert into runs (id, journey_id, version, contact_id, trigger, trigger_node_id, open_steps, status, ended_at, reentry_lock, trace_context)
      select run_id, ${journeyId}::uuid, ${version.version}::int, contact_id, trigger, ${triggerNodeId}::text,
        ${targets.length}::int, ${targets.length ? 'running' : 'completed'}::text, ${targets.length ? null : sql`now()`}::timestamptz,
        case when contact_id is null then null else ${targets.length ? lock : lock === 'once' ? 'once' : null}::text end,
        trace_context
      from candidates order by contact_id, ord
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
      (select json_agg(json_build_object('ord', k.ord, 'runId', t.run_id,
          'bound', not k.named or exists (select 1 from bound b where b.ord = k.ord)) order by k.ord)
        from calls k left join candidates c on c.ord = k.ord left join trigger_steps t on t.run_id = c.run_id) as calls,
      exists (select 1 from live) as live,
      (select count(*) from jobs) + (select count(*) from counted) + (select count(*) from notified) as written
  `.execute(db);
  const row = rows[0];
  const runIds = row?.run_ids ?? [];
  const base = { journeyId, version: version.version, nodeId: triggerNodeId, status: 'completed' as const };
  return {
    runIds,
    calls: (row?.calls ?? []).map((c) => ({ runId: c.runId, bound: c.bound })),
    dispatch: dispatch
      ? { stepIds: row?.next_step_ids ?? [], notices: runIds.map((runId) => ({ ...base, runId })) }
      : { stepIds: [], notices: [] },
    live: row?.live ?? false,
  };
}
