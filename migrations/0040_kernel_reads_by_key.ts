import { type Kysely, sql } from 'kysely';

// Two of the kernel's statements read more than their keys, and more as the tables grow
// (auto_explain in the latency bench, 2,200 webhooks): waymark_move_runs joined its moves to
// runs by a merge join over the whole runs_pkey index, twice per step batch (the generic plan
// was made while runs were few, and a plpgsql plan lives as long as the connection); and the
// dispatcher's update found its steps through the partial index of marked steps, whose dead
// entries (every step ever marked, until a vacuum) it read whole, 2,000 a call. Both now name
// their rows by key, so that no plan can read more than them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- As in 0012, with the runs named by an array of ids: an index scan reads only them.
    create or replace function waymark_move_runs(moves json) returns void language plpgsql as $$
    declare
      ids uuid[];
    begin
      select array_agg(distinct x."runId") into ids from json_to_recordset(moves) as x("runId" uuid);
      -- Locked in id order first: two writers moving the same runs never wait on each other in a circle.
      perform 1 from runs where id = any(ids) order by id for update;
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
      ) m
      where r.id = any(ids) and r.id = m.id and r.status in ('running', 'waiting');
    end
    $$;

    -- As in 0039. "is not false" (needs_job is never null) keeps the planner off the partial
    -- index steps_needing_jobs, which only the sweeper's search for old marks should read.
    create or replace function waymark_queue_marked(step_ids uuid[], notices json, channel text, step_task text,
      job_attempts smallint, batch_size int)
    returns int language plpgsql as $$
    declare
      queued int;
    begin
      with marked as (
        update steps set needs_job = false where id = any(step_ids) and needs_job is not false
        returning id, node_id
      )
      select waymark_queue_steps(json_agg(json_build_object('stepId', m.id, 'nodeId', m.node_id)), step_task,
        job_attempts, batch_size)
      into queued from marked m;
      perform pg_notify(channel, n::text) from json_array_elements(notices) as n;
      return coalesce(queued, 0);
    end
    $$;

    -- A replaced function loses its settings (0030, 0037): given again.
    alter function waymark_move_runs(json) set enable_seqscan = off;
    alter function waymark_move_runs(json) set plan_cache_mode = force_generic_plan;
    alter function waymark_queue_marked(uuid[], json, text, text, smallint, int) set enable_seqscan = off;
    alter function waymark_queue_marked(uuid[], json, text, text, smallint, int) set plan_cache_mode = force_generic_plan;
  `.execute(db);
}
