import { type Kysely, sql } from 'kysely';

// The kernel's functions were planned afresh on almost every call, and at a trickle (a step
// per batch) planning was most of their work: waymark_queue_steps is `language sql`, whose
// statements PostgreSQL 15 plans at every call; and in plpgsql (ours and graphile-worker's
// add_jobs) the plan cache kept choosing custom plans, as a plan made for the one array
// element at hand is always estimated cheaper than a generic one. Under the writer's entry
// points every statement now keeps its generic plan (enable_seqscan = off, 0030, already keeps
// those plans on the indexes), and waymark_queue_steps is plpgsql so that it has a cache.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function waymark_queue_steps(steps json, step_task text, job_attempts smallint, batch_size int)
    returns int language plpgsql as $$
    declare
      queued int;
    begin
      if steps is null or json_array_length(steps) = 0 then return 0; end if;
      with s as (
        select x."stepId" as step_id, x."nodeId" as node_id, x."runAt" as run_at, coalesce(x.timeout, false) as timeout
        from json_to_recordset(steps) as x("stepId" uuid, "nodeId" text, "runAt" timestamptz, timeout boolean)
      ), grouped as (
        select s.*, date_bin('50 milliseconds', s.run_at, timestamptz 'epoch') as due,
          (row_number() over (partition by s.node_id, s.timeout,
            date_bin('50 milliseconds', s.run_at, timestamptz 'epoch') order by s.step_id) - 1) / batch_size as chunk
        from s
      ), jobs as (
        select json_agg(case when g.timeout then json_build_object('stepId', g.step_id, 'timeout', true)
            else json_build_object('stepId', g.step_id) end order by g.step_id) as payload,
          max(g.run_at) as run_at
        from grouped g group by g.node_id, g.timeout, g.due, g.chunk
      )
      select count(*)::int into queued from graphile_worker.add_jobs(array(
        select row(step_task, j.payload, null::text, j.run_at, job_attempts, null::text, null::smallint,
          null::text[])::graphile_worker.job_spec
        from jobs j));
      return queued;
    end
    $$;

    alter function waymark_queue_steps(json, text, smallint, int) set plan_cache_mode = force_generic_plan;
    alter function waymark_write_steps(jsonb, text, smallint, int) set plan_cache_mode = force_generic_plan;
    alter function waymark_end_runs(uuid[], text, text, uuid[]) set plan_cache_mode = force_generic_plan;
    alter function waymark_move_runs(json) set plan_cache_mode = force_generic_plan;
    alter function waymark_add_counters(json) set plan_cache_mode = force_generic_plan;
    alter function waymark_add_rollups(json) set plan_cache_mode = force_generic_plan;
  `.execute(db);
}
