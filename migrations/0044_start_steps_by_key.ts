import { type Kysely, sql } from 'kysely';

// The statement that marks a batch's steps running ran top-level, on a plan cached while the
// steps table was small: a sequential scan of every step for each batch (auto_explain of the
// latency bench: 4,277 steps read to start one, a third of a millisecond, growing with the
// table until an analyze). As a kernel function it reads its steps by key, like the
// dispatcher's since 0039, on a generic plan.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Marks the steps running (attempt + 1) that may run now: queued, interrupted by a crash,
    -- or parked with a resume set; parked ones leave the waiting counts. Each comes back with
    -- its run. Steps finished, cancelled or still parked are left out.
    create function waymark_start_steps(step_ids uuid[])
    returns table (id uuid, run_id uuid, journey_id uuid, version int, node_id text, parent_step_id uuid,
      attempts int, resume jsonb, idempotency_key uuid, wake_at timestamptz, workspace_id uuid, contact_id uuid,
      trigger jsonb, trigger_node_id text, run_started_at timestamptz, trace_context jsonb)
    language plpgsql as $$
    #variable_conflict use_column
    begin
      return query
      with prev as (
        select s.id, s.status from steps s where s.id = any(step_ids) order by s.id for update
      ), started as (
        update steps s set status = 'running', attempts = s.attempts + 1, started_at = coalesce(s.started_at, now())
        from prev
        -- The ids again, so the update reads its rows by key whatever the plan makes of prev.
        where s.id = any(step_ids) and s.id = prev.id
          and (prev.status in ('pending', 'running') or (prev.status = 'waiting' and s.resume is not null))
        returning s.*, prev.status as was
      ), unparked as (
        select waymark_move_runs(json_agg(json_build_object('runId', u.run_id, 'open', 0, 'waiting', -1))),
          waymark_add_counters(json_agg(json_build_object('journeyId', u.journey_id, 'version', u.version,
            'nodeId', u.node_id, 'waiting', -1)))
        from started u where u.was = 'waiting'
        having count(*) > 0
      )
      select st.id, st.run_id, st.journey_id, st.version, st.node_id, st.parent_step_id, st.attempts, st.resume,
        st.idempotency_key, st.wake_at,
        r.workspace_id, r.contact_id, r.trigger, r.trigger_node_id, r.started_at, r.trace_context
      from started st
        join runs r on r.id = st.run_id
        -- Reading unparked is what moves the parked runs (a plain CTE runs only when read).
        cross join (select count(*) from unparked) moved;
    end
    $$;

    alter function waymark_start_steps(uuid[]) set enable_seqscan = off;
    alter function waymark_start_steps(uuid[]) set plan_cache_mode = force_generic_plan;
  `.execute(db);
}
