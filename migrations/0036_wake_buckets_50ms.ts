import { type Kysely, sql } from 'kysely';

// Wake-up jobs run when the last token of their bucket is due, so a token wakes up to a
// bucket late; a send held by its credential's rate waits for the previous second's real
// hand-overs, so that lateness added up second after second (400 messages at 20/s took 23-24 s,
// not 20). Buckets of 50 ms (0019: 200 ms) still let the parks of a batch share a few jobs.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function waymark_queue_steps(steps json, step_task text, job_attempts smallint, batch_size int)
    returns int language sql as $$
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
      select count(*)::int from graphile_worker.add_jobs(array(
        select row(step_task, j.payload, null::text, j.run_at, job_attempts, null::text, null::smallint,
          null::text[])::graphile_worker.job_spec
        from jobs j))
      where exists (select 1 from s)
    $$;
  `.execute(db);
}
