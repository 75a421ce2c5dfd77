import { type Kysely, sql } from 'kysely';

// A retried run's tokens resume where they stood (contracts/failures.md "Retrying runs"): a
// token that was parked in a wait when its run failed parks again until the due time it had,
// not a new one counted from the retry. The writer keeps each parked step's due time in
// steps.wake_at (one added line); the run kernel parks a step that has one until then.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table steps add column wake_at timestamptz`.execute(db);

  await sql`
    -- As in 0017_experiments (which keeps 0016's body and adds
    --   perform waymark_write_analytics(done);
    -- before the live-feed notices), with ONE line added to the settled update:
    --   wake_at = case when t.kind = 'park' then t."wakeAt" else s.wake_at end,
    -- A later redefinition of waymark_write_steps must keep both lines.
    create or replace function waymark_write_steps(transitions json, step_task text, job_attempts smallint, batch_size int)
    returns json language plpgsql as $$
    declare
      done json;
      children json;
      written int;
      fired int;
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
          status = case t.kind when 'complete' then case when t.error is null then 'completed' else 'failed' end
            when 'park' then 'waiting' when 'retry' then 'pending' else 'failed' end,
          output = case when t.kind in ('complete', 'park') then t.output else s.output end,
          outputs_taken = case when t.kind = 'complete' then t.outputs else s.outputs_taken end,
          error = case when t.kind in ('retry', 'fail', 'complete') then t.error end,
          resume = case t.kind when 'complete' then null
            when 'park' then case when t."waitEvent" is null then '{"kind":"time"}'::jsonb end
            else s.resume end,
          attempts = case t.kind when 'park' then 0 when 'complete' then greatest(s.attempts, 1) else s.attempts end,
          started_at = coalesce(s.started_at, now()),
          finished_at = case when t.kind in ('complete', 'fail') then now() end,
          -- Added by 0020: the due time a parked token keeps when a retry resumes it.
          wake_at = case when t.kind = 'park' then t."wakeAt" else s.wake_at end
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

      -- Runs that failed here: their failure (for the failures view, retries and filters) and
      -- the job that starts core.run-failed journeys, in this transaction.
      with f as (
        select distinct on (d.run_id) d.run_id, d.node_id, d.error
        from json_to_recordset(done) as d(run_id uuid, node_id text, kind text, error jsonb)
        where d.kind = 'fail' order by d.run_id, d.node_id
      ), failed as (
        update runs r set failure = jsonb_build_object('nodeId', f.node_id, 'error', f.error, 'at', now())
        from f where r.id = f.run_id and r.status = 'failed' and r.failure is null
        returning r.id, r.failure
      )
      select count(*) into fired from graphile_worker.add_jobs(array(
        select row('waymark.run-failed', json_build_object('runId', failed.id, 'failure', failed.failure), null::text, null::timestamptz,
          job_attempts, null::text, null::smallint, null::text[])::graphile_worker.job_spec
        from failed));

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

      -- Added by 0017 (the one change): conversions' split assignments and hourly figures.
      perform waymark_write_analytics(done);

      perform pg_notify('waymark_steps', json_build_object('journeyId', d.journey_id, 'version', d.version,
          'runId', d.run_id, 'nodeId', d.node_id,
          'status', case when d.kind = 'complete' and d.error is null then 'completed' when d.kind = 'park' then 'waiting'
            else 'failed' end)::text)
        from json_to_recordset(done) as d(run_id uuid, journey_id uuid, version int, node_id text, kind text, error jsonb)
        where d.kind <> 'retry';
      return json_build_object('written', written, 'children', children -> 'children');
    end
    $$;
  `.execute(db);
}
