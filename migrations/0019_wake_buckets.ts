import { type Kysely, sql } from 'kysely';

// Parked steps due close together share a wake-up job that runs when the last of them is
// due: within 200 ms of each other instead of the same second, so that no token is released
// up to a second late. (The worker that parks them also wakes its pool at that moment rather
// than waiting for its next poll: engine/worker/wake-alarms.ts.)
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function waymark_queue_steps(steps json, step_task text, job_attempts smallint, batch_size int)
    returns int language sql as $$
      with s as (
        select x."stepId" as step_id, x."nodeId" as node_id, x."runAt" as run_at, coalesce(x.timeout, false) as timeout
        from json_to_recordset(steps) as x("stepId" uuid, "nodeId" text, "runAt" timestamptz, timeout boolean)
      ), grouped as (
        select s.*, date_bin('200 milliseconds', s.run_at, timestamptz 'epoch') as due,
          (row_number() over (partition by s.node_id, s.timeout,
            date_bin('200 milliseconds', s.run_at, timestamptz 'epoch') order by s.step_id) - 1) / batch_size as chunk
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
  `.execute(db);
}
