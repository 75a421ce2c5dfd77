import { type Kysely, sql } from 'kysely';

// The writer's roots statement (pg auto_explain, one job at a time, a batch of 100 contacts of
// the bench's 5-node journey): its update matched each root step to the batch's transitions
// and to the locked roots by a nested loop over the roots for every step (the generic plan
// expects one row of each), 1.3 of its 4.2 ms; the roots now carry their transitions, matched
// once by the step's key. Its insert of the inline steps checked both unique indexes of steps
// before each row (ON CONFLICT, a speculative insertion) for rows that cannot exist: a live
// root has no children yet, and its inline steps' ids are new.
// The split analytics took the settled steps as JSON built for them and parsed again at once
// (a third of their 2.1 ms); they now take the settled array itself. And each split
// assignment and hourly figure checked its workspace's row by foreign key (a query a row, and
// every writer share-locking the same workspace row): those rows take their workspace from
// their journey's row in the same statement, and workspaces are never deleted.
// Same rows, same jobs.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table split_units drop constraint split_units_workspace_id_fkey;
    alter table journey_rollups drop constraint journey_rollups_workspace_id_fkey;

    -- The body of 0046, reading the settled steps of a batch (waymark_settled) rather than JSON.
    drop function waymark_write_analytics(json);
    create function waymark_write_analytics(done waymark_settled[]) returns void language plpgsql as $$
    declare
      called int;
    begin
      with candidates as (
        select d.journey_id, d.version, d.node_id, d.run_id, d."contactId" as contact_id,
          d.output ->> 'variant' as variant, coalesce(d.output ->> 'by', 'weights') as by
        from unnest(done) d
        where d.kind = 'complete' and jsonb_typeof(d.output -> 'variant') = 'string'
      ), splits as (
        -- Each node's graph looked up once per batch, not once per step (the graph is large).
        select k.journey_id, k.version, k.node_id
        from (select distinct journey_id, version, node_id from candidates) k
        where exists (select 1 from journey_versions v cross join lateral jsonb_array_elements(v.graph -> 'nodes') n
            where v.journey_id = k.journey_id and v.version = k.version
              and n ->> 'id' = k.node_id and n ->> 'type' = 'core.split')
      ), d as (
        select c.* from candidates c join splits s using (journey_id, version, node_id)
      ), tests as (
        insert into split_tests (workspace_id, journey_id, node_id, started_at)
        select distinct j.workspace_id, d.journey_id, d.node_id, now() from d join journeys j on j.id = d.journey_id
        order by 2, 3
        on conflict do nothing
      ), units as (
        insert into split_units (workspace_id, journey_id, node_id, unit, variant, by)
        select distinct on (d.journey_id, d.node_id, coalesce(d.contact_id::text, 'run:' || d.run_id))
          j.workspace_id, d.journey_id, d.node_id,
          coalesce(d.contact_id::text, 'run:' || d.run_id), d.variant, d.by
        from d join journeys j on j.id = d.journey_id order by d.journey_id, d.node_id, coalesce(d.contact_id::text, 'run:' || d.run_id)
        on conflict do nothing
        returning journey_id, node_id, variant, by
      )
      select count(*) into called from (select waymark_add_rollups(coalesce((select json_agg(x) from (
        select u.journey_id as "journeyId", 0 as version, u.node_id as "nodeId", u.variant, 'unit-entered' as metric, 1 as n
        from units u where u.by = 'weights'
        union all
        select d.journey_id, d.version, d.node_id, d.variant, 'routed', 1 from d where d.by <> 'weights'
      ) x), '[]'))) r;
    end
    $$;
    alter function waymark_write_analytics(waymark_settled[]) set plan_cache_mode = force_generic_plan;

    create or replace function waymark_write_steps(transitions jsonb, step_task text, job_attempts smallint, batch_size int)
    returns json language plpgsql as $$
    declare
      ts waymark_transition[];
      done waymark_settled[];
      children json;
      fired int;
    begin
      ts := array(select t from jsonb_populate_recordset(null::waymark_transition, transitions) t);

      -- The job steps still live, locked in id order, each with its transition: only they may
      -- write anything. The inline steps run after them are inserted as they ended, one row
      -- version each (a plain insert: their root is live, so no row of theirs can exist yet);
      -- the job steps are settled. Both come back as the settled steps.
      with roots as (
        select s.id, s.run_id, s.journey_id, s.version, t as tr
        from unnest(ts) t join steps s on s.id = t.id
        where t."create" is null and s.status in ('pending', 'running')
        order by s.id
        for update of s
      ), created as (
        insert into steps (id, run_id, journey_id, version, node_id, parent_step_id, status, output, outputs_taken,
          error, resume, attempts, started_at, finished_at, wake_at)
        select t.id, r.run_id, r.journey_id, r.version, t."create" ->> 'nodeId', (t."create" ->> 'parentStepId')::uuid,
          waymark_settled_status(t.kind, t.error),
          case when t.kind in ('complete', 'park') then t.output end,
          case when t.kind = 'complete' then t.outputs end,
          case when t.kind in ('retry', 'fail', 'complete') then t.error end,
          case when t.kind = 'park' and t."waitEvent" is null then '{"kind":"time"}'::jsonb end,
          case when t.kind = 'complete' then 1 else 0 end,
          now(),
          case when t.kind in ('complete', 'fail') then now() end,
          case when t.kind = 'park' then t."wakeAt" end
        -- An inline step is of its root's run: only the root is named.
        from unnest(ts) t join roots r on r.id = (t."create" ->> 'rootId')::uuid
        where t."create" is not null
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
          attempts = case (r.tr).kind when 'park' then 0 when 'complete' then greatest(s.attempts, 1) else s.attempts end,
          started_at = coalesce(s.started_at, now()),
          finished_at = case when (r.tr).kind in ('complete', 'fail') then now() end,
          -- The due time a parked token keeps when a retry resumes it (0020).
          wake_at = case when (r.tr).kind = 'park' then (r.tr)."wakeAt" else s.wake_at end
        -- Through roots, so each step is locked there before it is updated here (a row this
        -- statement updated first would be one roots no longer sees), and each root's
        -- transition comes with it: matching them here again was a nested loop over roots for
        -- every step, the slowest part of the statement.
        from roots r
        where s.id = r.id
        returning row(s.run_id, s.journey_id, s.version, s.node_id, (r.tr).*)::waymark_settled as d
      )
      select array_agg(x.d) into done from (
        select d from settled
        union all
        select row(c.run_id, c.journey_id, c.version, c.node_id, t.*)::waymark_settled
        from created c join unnest(ts) t on t.id = c.id
      ) x;
      if done is null then return json_build_object('written', 0, 'children', '[]'::json); end if;

      with spawned as (
        insert into steps (run_id, journey_id, version, node_id, parent_step_id)
        select d.run_id, d.journey_id, d.version, n.node_id, d.id
        from unnest(done) d cross join unnest(d."next") as n(node_id)
        -- The nodes run inline have their rows already (created above): only the others.
        where d.kind = 'complete' and d."end" is null and not (n.node_id = any(coalesce(d.inline, '{}')))
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

      -- The counters, summed here: one delta per (journey, version, node, output), not one per token.
      perform waymark_add_counters(json_agg(json_build_object('journeyId', c.journey_id, 'version', c.version,
          'nodeId', c.node_id, 'output', c.output, 'entered', c.entered, 'completed', c.completed,
          'failed', c.failed, 'waiting', c.waiting, 'taken', c.taken)))
        from (
          select d.journey_id, d.version, x ->> 'nodeId' as node_id, x ->> 'output' as output,
            sum((x ->> 'entered')::bigint) as entered, sum((x ->> 'completed')::bigint) as completed,
            sum((x ->> 'failed')::bigint) as failed, sum((x ->> 'waiting')::bigint) as waiting,
            sum((x ->> 'taken')::bigint) as taken
          from unnest(done) d cross join jsonb_array_elements(d.counters) x
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

    -- A replaced function loses its settings (0035, 0037): given again.
    alter function waymark_write_steps(jsonb, text, smallint, int) set enable_seqscan = off;
    alter function waymark_write_steps(jsonb, text, smallint, int) set plan_cache_mode = force_generic_plan;
  `.execute(db);
}
