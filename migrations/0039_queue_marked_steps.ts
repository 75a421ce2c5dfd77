import { type Kysely, sql } from 'kysely';

// The dispatcher's statement (the jobs of the steps webhooks created) ran top-level on a plan
// cached while the steps table was small: a sequential scan of every step for each group of
// webhooks, 3 ms a call in the webhook bench (pg_stat_statements) and growing with the table.
// As a kernel function it reads its steps by key, like the others (0030), on a generic plan.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Clears needs_job on the steps still marked, queues their jobs and sends the live feed's
    -- notices of their runs' trigger steps. Returns the jobs queued.
    create function waymark_queue_marked(step_ids uuid[], notices json, channel text, step_task text,
      job_attempts smallint, batch_size int)
    returns int language plpgsql as $$
    declare
      queued int;
    begin
      with marked as (
        update steps set needs_job = false where id = any(step_ids) and needs_job
        returning id, node_id
      )
      select waymark_queue_steps(json_agg(json_build_object('stepId', m.id, 'nodeId', m.node_id)), step_task,
        job_attempts, batch_size)
      into queued from marked m;
      perform pg_notify(channel, n::text) from json_array_elements(notices) as n;
      return coalesce(queued, 0);
    end
    $$;

    alter function waymark_queue_marked(uuid[], json, text, text, smallint, int) set enable_seqscan = off;
    alter function waymark_queue_marked(uuid[], json, text, text, smallint, int) set plan_cache_mode = force_generic_plan;
  `.execute(db);
}
