import { type Kysely, sql } from 'kysely';

// The run invariants every path repeats, defined once (the way graphile-worker's add_jobs
// is): node counters, a run's token counts and status, ending runs, and the writer that
// records any list of step transitions (engine/runs/write/). Plain SQL, replaced wholesale
// by a later migration when one changes.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Adds deltas [{ journeyId, version, nodeId, output?, entered?, completed?, failed?,
    -- waiting?, taken? }] to one random shard of the node counters (readers sum the shards;
    -- the worker heartbeat folds them into shard 0).
    create function waymark_add_counters(deltas json) returns void language sql as $$
      insert into node_counters (journey_id, version, node_id, output, shard, entered, completed, failed, waiting, taken)
      select d."journeyId", d.version, d."nodeId", coalesce(d.output, ''), s.shard,
        sum(coalesce(d.entered, 0)), sum(coalesce(d.completed, 0)), sum(coalesce(d.failed, 0)),
        sum(coalesce(d.waiting, 0)), sum(coalesce(d.taken, 0))
      from json_to_recordset(deltas) as d("journeyId" uuid, version int, "nodeId" text, output text,
          entered bigint, completed bigint, failed bigint, waiting bigint, taken bigint)
        cross join (select (1 + floor(random() * 32767))::int as shard) s
      group by 1, 2, 3, 4, 5
      order by 1, 2, 3, 4
      on conflict (journey_id, version, node_id, output, shard) do update set
        entered = node_counters.entered + excluded.entered,
        completed = node_counters.completed + excluded.completed,
        failed = node_counters.failed + excluded.failed,
        waiting = node_counters.waiting + excluded.waiting,
        taken = node_counters.taken + excluded.taken
    $$;

    -- Moves live runs' token counts [{ runId, open, waiting }] and derives each one's status:
    -- no open token left → completed, every open token parked → waiting, else running.
    -- Ended runs are left alone.
    create function waymark_move_runs(moves json) returns void language plpgsql as $$
    begin
      -- Locked in id order first: two writers moving the same runs never wait on each other in a circle.
      perform 1 from runs where id in (select x."runId" from json_to_recordset(moves) as x("runId" uuid))
        order by id for update;
      update runs r set
        open_steps = r.open_steps + m.open,
        waiting_steps = r.waiting_steps + m.waiting,
        status = case
          when r.open_steps + m.open <= 0 then 'completed'
          when r.open_steps + m.open = r.waiting_steps + m.waiting then 'waiting'
          else 'running' end,
        ended_at = case when r.open_steps + m.open <= 0 then now() else null end,
        reentry_lock = case when r.open_steps + m.open <= 0 and r.reentry_lock = 'active' then null else r.reentry_lock end
      from (
        select x."runId" as id, sum(x.open)::int as open, sum(x.waiting)::int as waiting
        from json_to_recordset(moves) as x("runId" uuid, open int, waiting int)
        group by 1 having sum(x.open) <> 0 or sum(x.waiting) <> 0
        order by 1
      ) m
      where r.id = m.id and r.status in ('running', 'waiting');
    end
    $$;

    -- Ends live runs: they take the status (and outcome), their open steps but except_steps
    -- are cancelled (parked ones leave the waiting counters) and their waits dropped.
    -- Returns the runs it ended.
    create function waymark_end_runs(run_ids uuid[], new_status text, goal text, except_steps uuid[])
    returns setof uuid language plpgsql as $$
    declare
      ended uuid[];
      unparked json;
    begin
      perform 1 from runs where id = any(run_ids) and status in ('running', 'waiting') order by id for update;
      with e as (
        update runs set status = new_status, ended_at = now(), outcome = goal, open_steps = 0, waiting_steps = 0,
          reentry_lock = case when reentry_lock = 'active' then null else reentry_lock end
        where id = any(run_ids) and status in ('running', 'waiting')
        returning id
      )
      select coalesce(array_agg(id), '{}') into ended from e;
      if cardinality(ended) = 0 then return; end if;
      with old as (
        select s.id, s.status from steps s
        where s.run_id = any(ended) and s.status in ('pending', 'running', 'waiting')
          and not (s.id = any(coalesce(except_steps, '{}')))
        order by s.id
        for update of s
      ), cancelled as (
        update steps s set status = 'cancelled', finished_at = now()
        from old where s.id = old.id
        returning s.journey_id, s.version, s.node_id, old.status as was
      )
      select json_agg(json_build_object('journeyId', journey_id, 'version', version, 'nodeId', node_id, 'waiting', -1))
      into unparked from cancelled where was = 'waiting';
      if unparked is not null then perform waymark_add_counters(unparked); end if;
      delete from waits where run_id = any(ended);
      return query select unnest(ended);
    end
    $$;

    -- Queues step jobs in batches: one graphile-worker job carries up to batch_size steps of
    -- one node (its payload an array of { stepId, timeout? }), and parked steps due within
    -- the same second share a job that runs when the last of them is due.
    -- steps: [{ stepId, nodeId, runAt?, timeout? }]. Returns the jobs queued.
    create function waymark_queue_steps(steps json, step_task text, job_attempts smallint, batch_size int)
    returns int language sql as $$
      with s as (
        select x."stepId" as step_id, x."nodeId" as node_id, x."runAt" as run_at, coalesce(x.timeout, false) as timeout
        from json_to_recordset(steps) as x("stepId" uuid, "nodeId" text, "runAt" timestamptz, timeout boolean)
      ), grouped as (
        select s.*, date_trunc('second', s.run_at) as due,
          (row_number() over (partition by s.node_id, s.timeout, date_trunc('second', s.run_at) order by s.step_id) - 1)
            / batch_size as chunk
        from s
      ), jobs as (
        select json_agg(case when g.timeout then json_build_object('stepId', g.step_id, 'timeout', true)
            else json_build_object('stepId', g.step_id) end order by g.step_id) as payload,
          max(g.run_at) as run_at
        from grouped g group by g.node_id, g.timeout, g.due, g.chunk
      )
      select count(*)::int from graphile_worker.add_jobs(array(
        select row(step_task, j.payload, null::text, j.run_at, job_attempts, null::text, null::smallint,
          null::text[])::graphile_worker.job_spec
        from jobs j))
      where exists (select 1 from s)
    $$;

    -- The writer: records a list of step transitions (engine/runs/kernel/decide.ts) at once,
    -- each only while its token's step is still live (pending or running; one cancelled or
    -- finished meanwhile writes nothing, nor do the inline steps after it). One row per step:
    --   { id, contactId, kind: complete|park|retry|fail, output, outputs, next: [nodeId],
    --     inline: [nodeId], end: completed|failed|null, goal, error, wakeAt, timeout,
    --     waitEvent, waitFilter, runOpen, runWaiting, counters: [{ nodeId, output?, … }],
    --     create?: { rootId, parentStepId, nodeId, runId, journeyId, version } }
    -- A row with "create" is an inline step run in memory after the step "rootId" of a job:
    -- it is inserted first. complete: the step completed, one new step per next node with a
    -- job (none for the "inline" ones, which are rows of their own) or the run ended; park:
    -- waiting, the wait row, the job that wakes it; retry: pending with a job at wakeAt;
    -- fail: failed, the run ended. Then counters, token counts (the kernel's runOpen and
    -- runWaiting) and live-feed notices.
    -- Returns { written: steps recorded, children: [{ id, parentStepId, nodeId }] }.
    create function waymark_write_steps(transitions json, step_task text, job_attempts smallint, batch_size int)
    returns json language plpgsql as $$
    declare
      done json;
      children json;
      written int;
    begin
      -- The job steps, locked in id order; only those still live may write anything.
      with roots as (
        select s.id from steps s
        where s.id in (select (x ->> 'id')::uuid from json_array_elements(transitions) x where (x ->> 'create') is null)
          and s.status in ('pending', 'running')
        order by s.id
        for update
      )
      insert into steps (id, run_id, journey_id, version, node_id, parent_step_id, started_at)
      select c.id, (c.create ->> 'runId')::uuid, (c.create ->> 'journeyId')::uuid, (c.create ->> 'version')::int,
        c.create ->> 'nodeId', (c.create ->> 'parentStepId')::uuid, now()
      from json_to_recordset(transitions) as c(id uuid, "create" json)
      where c.create is not null and (c.create ->> 'rootId')::uuid in (select id from roots)
      on conflict do nothing;

      with t as (
        select * from json_to_recordset(transitions) as t(id uuid, "contactId" uuid, kind text, output jsonb,
          outputs text[], "next" text[], inline text[], "end" text, goal text, error jsonb, "wakeAt" timestamptz,
          timeout boolean, "waitEvent" text, "waitFilter" jsonb, "runOpen" int, "runWaiting" int, counters json)
      ), settled as (
        update steps s set
          status = case t.kind when 'complete' then 'completed' when 'park' then 'waiting'
            when 'retry' then 'pending' else 'failed' end,
          output = case when t.kind in ('complete', 'park') then t.output else s.output end,
          outputs_taken = case when t.kind = 'complete' then t.outputs else s.outputs_taken end,
          error = case when t.kind in ('retry', 'fail') then t.error end,
          resume = case t.kind when 'complete' then null
            when 'park' then case when t."waitEvent" is null then '{"kind":"time"}'::jsonb end
            else s.resume end,
          attempts = case t.kind when 'park' then 0 when 'complete' then greatest(s.attempts, 1) else s.attempts end,
          started_at = coalesce(s.started_at, now()),
          finished_at = case when t.kind in ('complete', 'fail') then now() end
        from t
        where s.id = t.id and s.status in ('pending', 'running')
        returning s.run_id, s.journey_id, s.version, s.node_id, t.*
      )
      select json_agg(settled), count(*) into done, written from settled;
      if written = 0 then return json_build_object('written', 0, 'children', '[]'::json); end if;

      with d as (
        select * from json_to_recordset(done) as d(id uuid, run_id uuid, journey_id uuid, version int, node_id text,
          "contactId" uuid, kind text, "next" text[], inline text[], "end" text, "wakeAt" timestamptz,
          timeout boolean, "waitEvent" text, "waitFilter" jsonb)
      ), spawned as (
        insert into steps (run_id, journey_id, version, node_id, parent_step_id)
        select d.run_id, d.journey_id, d.version, n.node_id, d.id
        from d cross join unnest(d."next") as n(node_id)
        where d.kind = 'complete' and d."end" is null
        order by d.id, n.node_id
        on conflict (parent_step_id, node_id) where parent_step_id is not null do nothing
        returning id, parent_step_id, node_id
      ), waited as (
        insert into waits (step_id, run_id, journey_id, contact_id, event_name, filter, deadline)
        select d.id, d.run_id, d.journey_id, d."contactId", d."waitEvent", d."waitFilter", d."wakeAt"
        from d where d.kind = 'park' and d."waitEvent" is not null and d."contactId" is not null
        on conflict (step_id) do nothing
      ), jobs as (
        select c.id as "stepId", c.node_id as "nodeId", null::timestamptz as "runAt", false as timeout
        from spawned c join d on d.id = c.parent_step_id
        where not (c.node_id = any(coalesce(d.inline, '{}')))
        union all
        select d.id, d.node_id, d."wakeAt", coalesce(d.timeout, false) from d where d.kind in ('park', 'retry')
      ), queued as (
        select waymark_queue_steps(json_agg(jobs), step_task, job_attempts, batch_size) as n
        from jobs having count(*) > 0
      )
      select json_build_object('children', coalesce((select json_agg(json_build_object('id', c.id,
          'parentStepId', c.parent_step_id, 'nodeId', c.node_id)) from spawned c), '[]'),
        'queued', (select sum(n) from queued))
      into children;

      -- Runs that end here (exits, failures): their other open steps are cancelled.
      perform waymark_end_runs(array_agg(e.run_id order by e.run_id), e."end", e.goal, '{}')
        from (
          select distinct on (d.run_id) d.run_id, d."end", d.goal
          from json_to_recordset(done) as d(run_id uuid, "end" text, goal text)
          where d."end" is not null order by d.run_id
        ) e
        group by e."end", e.goal;

      -- Every other run: its token counts move as the kernel decided.
      perform waymark_move_runs(coalesce(json_agg(json_build_object('runId', d.run_id,
          'open', coalesce(d."runOpen", 0), 'waiting', coalesce(d."runWaiting", 0))), '[]'))
        from json_to_recordset(done) as d(run_id uuid, "end" text, "runOpen" int, "runWaiting" int)
        where d."end" is null;

      perform waymark_add_counters(coalesce(json_agg(json_build_object('journeyId', d.journey_id,
          'version', d.version, 'nodeId', c ->> 'nodeId', 'output', c ->> 'output', 'entered', c -> 'entered',
          'completed', c -> 'completed', 'failed', c -> 'failed', 'waiting', c -> 'waiting', 'taken', c -> 'taken')), '[]'))
        from json_to_recordset(done) as d(journey_id uuid, version int, counters json)
        cross join json_array_elements(d.counters) c;

      perform pg_notify('waymark_steps', json_build_object('journeyId', d.journey_id, 'version', d.version,
          'runId', d.run_id, 'nodeId', d.node_id,
          'status', case d.kind when 'complete' then 'completed' when 'park' then 'waiting' else 'failed' end)::text)
        from json_to_recordset(done) as d(run_id uuid, journey_id uuid, version int, node_id text, kind text)
        where d.kind <> 'retry';
      return json_build_object('written', written, 'children', children -> 'children');
    end
    $$;
  `.execute(db);
}
