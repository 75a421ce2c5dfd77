import { type Kysely, sql } from 'kysely';

// The writer found its job steps' runs (to lock them, 0068) and their messages (0074) by joining
// the batch's transitions to `steps`. Its plan is generic and kept (0037), planned once a
// connection, and PostgreSQL takes a set-returning function for 100 rows: while `steps` held a
// few thousand rows, a hash join over the whole of `steps_pkey` was the cheaper guess, and every
// batch read every step, 0.9 ms of a lone webhook call's 2.9 ms write. The steps are now found by
// key, `id = any(array)`, one index probe a transition whatever the table's size. Both statements
// are otherwise 0074's.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function waymark_write_steps(transitions jsonb, counter_sets jsonb, step_task text,
      job_attempts smallint, batch_size int, batch_started timestamptz)
    returns json language plpgsql as $$
    declare
      -- The job steps are the rows that name no node (a created step names its own, 0060).
      job_steps uuid[] := array(select (t ->> 'id')::uuid from jsonb_array_elements(transitions) t
        where not t ? 'nodeId');
      settled uuid[] := array(select (t ->> 'id')::uuid from jsonb_array_elements(transitions) t
        where not t ? 'nodeId' and t ->> 'kind' in ('complete', 'fail'));
      written json;
    begin
      perform 1 from runs where id = any(array(select s.run_id from steps s where s.id = any(job_steps)))
        order by id for no key update;
      written := waymark_write_steps_of_locked_runs(transitions, counter_sets, step_task, job_attempts, batch_size,
        batch_started);
      update messages set status = 'failed'
        where idempotency_key = any(array(
            select coalesce(s.idempotency_key, s.id)::text from steps s where s.id = any(settled)))
          and status = 'queued' and error is not null and delayed_until is null;
      return written;
    end
    $$;
  `.execute(db);
}
