import { type Kysely, sql } from 'kysely';
import { identityHolders, identityValuesOf } from '../../contacts/identity/holders.js';
import type { Database } from '../../db/database.js';
import { activeCarrier } from '../../observability/trace-context.js';
import { JOB_MAX_ATTEMPTS, queueJobsFor, STEP_BATCH_SIZE, STEP_TASK } from '../bookkeeping.js';
import { decideTrigger } from '../kernel/decide.js';
import type { CompiledVersion } from '../versions.js';
import type { EntryGate } from './gate.js';
import type { InsertRunsInput, InsertRunsResult } from './insert-runs.js';

/** `reentry_lock` for a new run: the unique key that turns a contact away. */
export function reentryLockOf(version: CompiledVersion): string | null {
  const rule = version.settings.reentry;
  return rule === 'once' ? 'once' : rule === 'once-at-a-time' ? 'active' : null;
}

/**
 * The one statement every start runs, within the gate's room (`insertRuns` opens and closes the
 * gate): contacts found or created for the calls' identities, runs under the re-entry rule, the
 * entry cap and the entry rate, their trigger steps, first steps and jobs, counters, skip counts
 * and live-feed notices.
 */
export async function insertGated(
  db: Kysely<Database>,
  input: InsertRunsInput,
  gate: EntryGate,
): Promise<InsertRunsResult & { usedSlots: Date[] }> {
  const { version, triggerNodeId, output } = input;
  const journeyId = version.journeyId;
  // Every run enters the same way: the kernel's trigger transition, multiplied in the statement.
  const entry = decideTrigger(version, triggerNodeId, output);
  const targets = entry.next;
  const lock = reentryLockOf(version);
  const calls = 'calls' in input.contacts ? input.contacts.calls : [];
  const ids = 'ids' in input.contacts ? [...input.contacts.ids] : [];
  const dispatch = input.dispatch === true;
  const slots = gate.slots ? gate.slots.map((d) => d.toISOString()) : null;
  const gateNow = gate.now?.toISOString() ?? null;
  // The span this start runs in (a webhook's, a request's, a trigger's) parents the run's steps;
  // a call of a group carries the span it arrived in.
  const carrier = activeCarrier();
  // Key by key, not `{ ord, ...c.identity, trigger }`: keys added after a spread take a slow
  // path on Node 20 (engine/README.md "Hot paths"). Keys left undefined are not serialized.
  const callRows = calls.map((c, ord) => ({
    ord,
    contactId: c.identity?.contactId,
    email: c.identity?.email,
    phone: c.identity?.phone,
    externalId: c.identity?.externalId,
    trigger: c.trigger,
    traceContext: c.traceContext === undefined ? carrier : c.traceContext,
  }));
  const { rows } = await sql<{
    run_ids: string[] | null;
    next_step_ids: string[] | null;
    calls: { ord: number; runId: string | null; contactId: string | null; bound: boolean; capped: boolean }[] | null;
    live: boolean;
    capped: number;
    used_slots: Date[] | null;
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
    ), holders as (
      -- Every contact, live or merged away, holding an identity value of the group.
      select c.id, c.merged_into, c.email, c.phone, c.external_id from contacts c
      where c.id in ${identityHolders(sql`(select workspace_id from workspace)`, identityValuesOf(calls.map((c) => c.identity)))}
    ), found as (
      -- A merged-away contact's id and identity values name its survivor (contract identity.md).
      select k.ord, coalesce(c.merged_into, c.id) as id, c.email, c.phone, c.external_id from calls k
        join contacts c on c.id = k.contact_id and c.workspace_id = (select workspace_id from workspace)
      union select k.ord, coalesce(h.merged_into, h.id) as id, h.email, h.phone, h.external_id from calls k
        join holders h on h.email = k.email or h.phone = k.phone or h.external_id = k.external_id
    ), held as (
      -- A found contact is held until the statement commits (FOR KEY SHARE, the lock a foreign
      -- key takes): an erase of it waits for these runs and erases them, or, committed first,
      -- leaves it out here and the call is bound anew. Read from the snapshot alone, a contact
      -- an erase was deleting got a run the erase never saw, holding the payload for ever.
      select c.id from contacts c where c.id in (select id from found) for key share
    ), created as (
      insert into contacts (workspace_id, email, phone, external_id)
      select distinct (select workspace_id from workspace), k.email, k.phone, k.external_id from calls k
      where k.named and k.contact_id is null and exists (select 1 from live)
        and not exists (select 1 from found f where f.ord = k.ord)
      on conflict do nothing
      returning id, email, phone, external_id
    ), bound as (
      select distinct f.ord, f.id as contact_id from found f join calls k on k.ord = f.ord
        join held h on h.id = f.id
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
    ), eligible as (
      -- The re-entry rule first, then the cap and the entry rate in arrival order.
      select e.*, waymark_uuid7() as run_id, row_number() over (order by e.ord nulls last, e.contact_id) as rn
      from entrants e
      where exists (select 1 from live)
        and (${lock}::text is null or e.contact_id is null or not exists (
          select 1 from runs r where r.journey_id = ${journeyId}::uuid and r.contact_id = e.contact_id
            and (${lock} = 'once' or r.status in ('running', 'waiting'))))
    ), candidates as (
      -- An entry whose time under the entry rate is still to come is queued: its run starts
      -- now, its trigger step completes when its time comes.
      select g.*, slot.at as slot, coalesce(slot.at > ${gateNow}::timestamptz, false) as queued
      from eligible g left join lateral (
        select (${slots}::timestamptz[])[g.rn] as at) slot on true
      where ${gate.remaining}::bigint is null or g.rn <= ${gate.remaining}::bigint
    ), new_runs as (
      insert into runs (id, workspace_id, journey_id, version, contact_id, trigger, trigger_node_id, open_steps, status, ended_at, reentry_lock, trace_context)
      select run_id, (select workspace_id from workspace), ${journeyId}::uuid, ${version.version}::int, contact_id, trigger, ${triggerNodeId}::text,
        case when queued then 1 else ${targets.length}::int end,
        case when queued then 'running' else ${targets.length ? 'running' : 'completed'}::text end,
        case when queued then null else ${targets.length ? null : sql`now()`}::timestamptz end,
        case when contact_id is null then null
          when queued then ${lock}::text else ${targets.length ? lock : lock === 'once' ? 'once' : null}::text end,
        trace_context
      from candidates order by contact_id, ord
      on conflict (journey_id, contact_id, reentry_lock) where reentry_lock is not null do nothing
      returning id
    ), trigger_steps as (
      insert into steps (run_id, journey_id, version, node_id, status, attempts, started_at, finished_at, outputs_taken, output)
      select id, ${journeyId}::uuid, ${version.version}::int, ${triggerNodeId}::text, 'completed', 1, now(), now(), array[${output}::text], 'null'::jsonb
      from new_runs n join candidates c on c.run_id = n.id where not c.queued
      returning run_id, id
    ), queued_steps as (
      -- Not counted entered here: the trigger counts it when it is released (kernel/decide.ts).
      insert into steps (run_id, journey_id, version, node_id, status)
      select id, ${journeyId}::uuid, ${version.version}::int, ${triggerNodeId}::text, 'pending'
      from new_runs n join candidates c on c.run_id = n.id where c.queued
      returning run_id, id
    ), queued_jobs as (
      select waymark_queue_steps(json_agg(json_build_object('stepId', q.id, 'nodeId', ${triggerNodeId}::text,
          'runAt', c.slot)), ${STEP_TASK}::text, ${JOB_MAX_ATTEMPTS}::smallint, ${STEP_BATCH_SIZE}::int)
      from queued_steps q join candidates c on c.run_id = q.run_id
      having count(*) > 0
    ), skips as (
      select 'entry-cap' as reason, (select count(*) from eligible) - (select count(*) from candidates) as n
      union all
      select 'reentry', case when exists (select 1 from live) then
        (select count(*) from entrants) - (select count(*) from eligible)
          + (select count(*) from candidates) - (select count(*) from new_runs) else 0 end
    ), skips_counted as (
      insert into journey_entry_skips (journey_id, workspace_id, reason, shard, skipped)
      select ${journeyId}::uuid, (select workspace_id from workspace), k.reason, floor(random() * 8)::smallint, k.n
      from skips k where k.n > 0
      on conflict (journey_id, reason, shard) do update set skipped = journey_entry_skips.skipped + excluded.skipped
      returning 1
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
      select waymark_notify_steps(json_agg(json_build_object('journeyId', ${journeyId}::uuid, 'version', ${version.version}::int,
        'runId', t.run_id, 'nodeId', ${triggerNodeId}::text, 'status', 'completed')))
      -- Made only while watched (a one-time filter): a broadcast's 100,000 notices cost as much to make as to send.
      from trigger_steps t where ${!dispatch} and waymark_live_watched()
    )
    select (select array_agg(run_id) from (select run_id from trigger_steps union all select run_id from queued_steps) a) as run_ids,
      (select array_agg(id) from next_steps) as next_step_ids,
      (select json_agg(json_build_object('ord', k.ord, 'runId', coalesce(t.run_id, q.run_id),
          'contactId', (select b.contact_id from bound b where b.ord = k.ord limit 1),
          'bound', not k.named or exists (select 1 from bound b where b.ord = k.ord),
          'capped', exists (select 1 from eligible g where g.ord = k.ord)
            and not exists (select 1 from candidates c2 where c2.ord = k.ord)) order by k.ord)
        from calls k left join candidates c on c.ord = k.ord left join trigger_steps t on t.run_id = c.run_id
          left join queued_steps q on q.run_id = c.run_id) as calls,
      exists (select 1 from live) as live,
      (select n from skips where reason = 'entry-cap')::int as capped,
      (select array_agg(c.slot order by c.rn) from candidates c join new_runs n on n.id = c.run_id
        where c.slot is not null) as used_slots,
      (select count(*) from jobs) + (select count(*) from counted) + (select count(*) from notified)
        + (select count(*) from queued_jobs)
        + (select count(*) from skips_counted) as written
  `.execute(db);
  const row = rows[0];
  const runIds = row?.run_ids ?? [];
  return {
    runIds,
    calls: (row?.calls ?? []).map((c) => ({
      runId: c.runId,
      contactId: c.contactId,
      bound: c.bound,
      skipped: c.runId ? null : c.capped ? ('entry-cap' as const) : ('reentry' as const),
    })),
    dispatch: dispatch
      ? {
          stepIds: row?.next_step_ids ?? [],
          notices: runIds.map((runId) => ({
            journeyId,
            version: version.version,
            nodeId: triggerNodeId,
            status: 'completed' as const,
            runId,
          })),
        }
      : { stepIds: [], notices: [] },
    live: row?.live ?? false,
    capped: row?.capped ?? 0,
    usedSlots: (row?.used_slots ?? []).map((d) => new Date(d)),
  };
}
