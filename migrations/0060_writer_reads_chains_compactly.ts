import { type Kysely, sql } from 'kysely';

// The writer's input was half of what a step batch sends PostgreSQL and a third of the writer's
// time (the 5-node journey: 119 KB for 100 contacts, 3.8 of 10.7 ms read before a row was
// written): each step created in a chain repeated its run's contact and root, and named its
// parent and node in a nested object, and each completed step listed its next nodes and, again,
// those run inline. Now a created step names its node (`nodeId`, which marks it created) and
// only what differs from the list: it follows its root, takes the root's contact, and its parent
// is the step before it unless it names one (`parentStepId`, a fan-out's second child); and a
// completed step lists only the next nodes to spawn (`spawn`), those not run inline. The types
// change as 0053's did (the settled step's `was` stays last); the writer's body is 0059's but
// for its read, its created steps and its spawns.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter type waymark_transition drop attribute "next", drop attribute inline, drop attribute "create",
      add attribute spawn text[], add attribute "nodeId" text, add attribute "rootId" uuid,
      add attribute "parentStepId" uuid;
    -- A settled step is its row's run and node, its transition, then the status it had (0055).
    alter type waymark_settled drop attribute "next", drop attribute inline, drop attribute "create",
      drop attribute was, add attribute spawn text[], add attribute "nodeId" text, add attribute "rootId" uuid,
      add attribute "parentStepId" uuid, add attribute was text;

    create or replace function waymark_write_steps(transitions jsonb, counter_sets jsonb, step_task text, job_attempts smallint,
      batch_size int, batch_started timestamptz)
    returns json language plpgsql as $$
    declare
      ts waymark_transition[];
      done waymark_settled[];
      children json;
      fired int;
    begin
      -- A worker older than this migration, still running while another process upgraded the
      -- database, sends rows in the shape before it: read here, its created steps would pass
      -- for roots not found and be dropped, and its next steps never spawned. Refused instead:
      -- its job fails and runs again, on an upgraded worker.
      if jsonb_path_exists(transitions, '$[*] ? (exists(@.create) || exists(@.next))') then
        raise exception 'waymark_write_steps: rows in the shape before migration 0060 (a worker older than its database)';
      end if;

      -- A step created in a chain names only what its root does not (migration 0060): it follows
      -- its root in the list, and, unless it says otherwise, the step before it is its parent.
      ts := array(
        select row(t.id, coalesce(t."contactId", first_value(t."contactId") over chain), t.kind, t.output, t.outputs,
            t."end", t.goal, t.error, t."wakeAt", t.timeout, t."waitEvent", t."waitFilter", t."runOpen",
            t."runWaiting", t."counterSet", t.spawn, t."nodeId",
            case when t."nodeId" is not null then coalesce(t."rootId", first_value(t.id) over chain) end,
            case when t."nodeId" is not null then coalesce(t."parentStepId", t.before) end)::waymark_transition
        from (
          select t.*, lag(t.id) over (order by t.ordinality) as before,
            count(*) filter (where t."nodeId" is null) over (order by t.ordinality) as root
          from jsonb_populate_recordset(null::waymark_transition, transitions) with ordinality t
        ) t
        window chain as (partition by t.root order by t.ordinality)
        order by t.ordinality);

      -- The job steps still live (queued, or parked with a resume set), locked in id order, each
      -- with its transition and the status it had: only they may write anything. The inline steps run after them are inserted as they ended, one row
      -- version each (a plain insert: their root is live, so no row of theirs can exist yet);
      -- the job steps are settled. Both come back as the settled steps.
      with roots as (
        select s.id, s.run_id, s.journey_id, s.version, t as tr,
          case when s.status = 'waiting' and s.held then 'held' else s.status end as was
        from unnest(ts) t join steps s on s.id = t.id
        where t."rootId" is null
          and (s.status in ('pending', 'running') or (s.status = 'waiting' and s.resume is not null))
        order by s.id
        for update of s
      ), created as (
        insert into steps (id, run_id, journey_id, version, node_id, parent_step_id, status, output, outputs_taken,
          error, resume, attempts, started_at, finished_at, wake_at, held)
        select t.id, r.run_id, r.journey_id, r.version, t."nodeId", t."parentStepId",
          waymark_settled_status(t.kind, t.error),
          case when t.kind in ('complete', 'park') then t.output end,
          case when t.kind = 'complete' then t.outputs end,
          case when t.kind in ('retry', 'fail', 'complete') then t.error end,
          case when t.kind = 'park' and t."waitEvent" is null then '{"kind":"time"}'::jsonb end,
          case when t.kind = 'complete' then 1 else 0 end,
          now(),
          case when t.kind in ('complete', 'fail') then now() end,
          case when t.kind = 'park' then t."wakeAt" end,
          t.kind = 'park' and coalesce(t."runWaiting", 0) = 0
        -- An inline step is of its root's run: only the root is named.
        from unnest(ts) t join roots r on r.id = t."rootId"
        where t."rootId" is not null
        returning id, run_id, journey_id, version, node_id
      ), settled as (
        update steps s set
          status = waymark_settled_status((r.tr).kind, (r.tr).error),
          output = case when (r.tr).kind in ('complete', 'park') then (r.tr).output else s.output end,
          outputs_taken = case when (r.tr).kind = 'complete' then (r.tr).outputs else s.outputs_taken end,
          error = case when (r.tr).kind in ('retry', 'fail', 'complete') then (r.tr).error end,
          resume = case (r.tr).kind when 'complete' then null
            when 'park' then case when (r.tr)."waitEvent" is null then '{"kind":"time"}'::jsonb end
            else s.resume end,
          -- A step marked running had its attempt counted by the mark; the others' counts here.
          attempts = case when (r.tr).kind = 'park' then 0 when r.was = 'running' then greatest(s.attempts, 1)
            else s.attempts + 1 end,
          started_at = coalesce(s.started_at, batch_started, now()),
          finished_at = case when (r.tr).kind in ('complete', 'fail') then now() end,
          -- The due time a parked token keeps when a retry resumes it (0020).
          wake_at = case when (r.tr).kind = 'park' then (r.tr)."wakeAt" else s.wake_at end,
          held = (r.tr).kind = 'park' and coalesce((r.tr)."runWaiting", 0) = 0
        -- Through roots, so each step is locked there before it is updated here (a row this
        -- statement updated first would be one roots no longer sees), and each root's
        -- transition comes with it: matching them here again was a nested loop over roots for
        -- every step, the slowest part of the statement.
        from roots r
        where s.id = r.id
        returning row(s.run_id, s.journey_id, s.version, s.node_id, (r.tr).*, r.was)::waymark_settled as d
      )
      select array_agg(x.d) into done from (
        select d from settled
        union all
        select row(c.run_id, c.journey_id, c.version, c.node_id, t.*, null)::waymark_settled
        from created c join unnest(ts) t on t.id = c.id
      ) x;
      if done is null then return json_build_object('written', 0, 'children', '[]'::json); end if;

      -- Parked tokens this batch resumed leave the waiting counts, before any run ends below
      -- (held ones, 'held', were never in them).
      perform waymark_move_runs(json_agg(json_build_object('runId', d.run_id, 'open', 0, 'waiting', -1))),
          waymark_add_counters(json_agg(json_build_object('journeyId', d.journey_id, 'version', d.version,
            'nodeId', d.node_id, 'waiting', -1)))
        from unnest(done) d where d.was = 'waiting'
        having count(*) > 0;

      with spawned as (
        insert into steps (run_id, journey_id, version, node_id, parent_step_id)
        select d.run_id, d.journey_id, d.version, n.node_id, d.id
        -- The nodes run inline have their rows already (created above): the caller names only the others.
        from unnest(done) d cross join unnest(d.spawn) as n(node_id)
        where d.kind = 'complete' and d."end" is null
        order by d.id, n.node_id
        on conflict (parent_step_id, node_id) where parent_step_id is not null do nothing
        returning id, parent_step_id, node_id
      ), waited as (
        insert into waits (step_id, run_id, journey_id, contact_id, event_name, filter, deadline)
        select d.id, d.run_id, d.journey_id, d."contactId", d."waitEvent", d."waitFilter", d."wakeAt"
        from unnest(done) d where d.kind = 'park' and d."waitEvent" is not null and d."contactId" is not null
        on conflict (step_id) do nothing
      ), jobs as (
        select c.id as "stepId", c.node_id as "nodeId", null::timestamptz as "runAt", false as timeout
        from spawned c
        union all
        select d.id, d.node_id, d."wakeAt", coalesce(d.timeout, false) from unnest(done) d where d.kind in ('park', 'retry')
      ), queued as (
        select waymark_queue_steps(json_agg(jobs), step_task, job_attempts, batch_size) as n
        from jobs having count(*) > 0
      )
      select coalesce((select json_agg(json_build_object('id', c.id, 'parentStepId', c.parent_step_id, 'nodeId', c.node_id))
          from spawned c), '[]')
      into children
      -- A plain CTE runs only when read: reading queued is what queues the jobs.
      from (select sum(n) from queued) q;

      -- Runs that end here (exits, failures): their other open steps are cancelled.
      perform waymark_end_runs(array_agg(e.run_id order by e.run_id), e."end", e.goal, '{}')
        from (
          select distinct on (d.run_id) d.run_id, d."end", d.goal
          from unnest(done) d where d."end" is not null order by d.run_id
        ) e
        group by e."end", e.goal;

      -- Runs that failed here: their failure (for the failures view, retries and filters) and
      -- the job that starts core.run-failed journeys, in this transaction. Only when a step
      -- failed: graphile-worker's add_jobs, even given no job, runs five statements and
      -- notifies every worker, which then each look for a job in vain.
      if exists (select 1 from unnest(done) d where d.kind = 'fail') then
        with f as (
          select distinct on (d.run_id) d.run_id, d.node_id, d.error
          from unnest(done) d where d.kind = 'fail' order by d.run_id, d.node_id
        ), failed as (
          update runs r set failure = jsonb_build_object('nodeId', f.node_id, 'error', f.error, 'at', now())
          from f where r.id = f.run_id and r.status = 'failed' and r.failure is null
          returning r.id, r.failure
        )
        select count(*) into fired from graphile_worker.add_jobs(array(
          select row('waymark.run-failed', json_build_object('runId', failed.id, 'failure', failed.failure), null::text,
            null::timestamptz, job_attempts, null::text, null::smallint, null::text[])::graphile_worker.job_spec
          from failed));
      end if;

      -- Every other run whose token counts move: they move as the kernel decided.
      perform waymark_move_runs(json_agg(json_build_object('runId', d.run_id,
          'open', coalesce(d."runOpen", 0), 'waiting', coalesce(d."runWaiting", 0))))
        from unnest(done) d
        where d."end" is null and (coalesce(d."runOpen", 0) <> 0 or coalesce(d."runWaiting", 0) <> 0)
        having count(*) > 0;

      -- The counters, summed here: one delta per (journey, version, node, output), not one per
      -- token. Each written chain names its deltas in the batch's counter_sets (the chains of a
      -- batch take a few paths): counted per set, multiplied out.
      perform waymark_add_counters(json_agg(json_build_object('journeyId', c.journey_id, 'version', c.version,
          'nodeId', c.node_id, 'output', c.output, 'entered', c.entered, 'completed', c.completed,
          'failed', c.failed, 'waiting', c.waiting, 'taken', c.taken)))
        from (
          select k.journey_id, k.version, x ->> 'nodeId' as node_id, x ->> 'output' as output,
            sum((x ->> 'entered')::bigint * k.n) as entered, sum((x ->> 'completed')::bigint * k.n) as completed,
            sum((x ->> 'failed')::bigint * k.n) as failed, sum((x ->> 'waiting')::bigint * k.n) as waiting,
            sum((x ->> 'taken')::bigint * k.n) as taken
          from (
            select d.journey_id, d.version, d."counterSet" as cs, count(*) as n
            from unnest(done) d where d."counterSet" is not null
            group by 1, 2, 3
          ) k cross join jsonb_array_elements(counter_sets -> k.cs) x
          group by 1, 2, 3, 4
        ) c
        having count(*) > 0;

      -- Split assignments and hourly figures (0017, 0021), from the split steps only.
      if exists (select 1 from unnest(done) d where d.kind = 'complete' and jsonb_typeof(d.output -> 'variant') = 'string') then
        perform waymark_write_analytics(done);
      end if;

      perform waymark_notify_steps(json_agg(json_build_object('journeyId', d.journey_id, 'version', d.version,
          'runId', d.run_id, 'nodeId', d.node_id,
          'status', case when d.kind = 'complete' and d.error is null then 'completed' when d.kind = 'park' then 'waiting'
            else 'failed' end)))
        -- Made only while watched (a one-time filter): building them costs as much as sending.
        from unnest(done) d
        where d.kind <> 'retry' and waymark_live_watched();
      return json_build_object('written', cardinality(done), 'children', children);
    end
    $$;

    alter function waymark_write_steps(jsonb, jsonb, text, smallint, int, timestamptz) set enable_seqscan = off;
    alter function waymark_write_steps(jsonb, jsonb, text, smallint, int, timestamptz)
      set plan_cache_mode = force_generic_plan;

  `.execute(db);
}
