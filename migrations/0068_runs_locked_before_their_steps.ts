import { type Kysely, sql } from 'kysely';

// A run's rows are locked in one order, the run before its steps: `waymark_end_runs` (an archive,
// a cancel, an erase) locks the runs, then their open steps. The writer locked its job steps
// first, then its runs, as its inserts checked their keys and it moved the runs' token counts:
// an archive while a run's step was being written deadlocked, and PostgreSQL failed one of them
// (the archive answered 500). The writer now locks its steps' runs first, in id order, as the
// update of their token counts does (no key update: a send's key-share lock still passes). Its
// statement stays whole, 0060's, under the name of what it does once the runs are held.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter function waymark_write_steps(jsonb, jsonb, text, smallint, int, timestamptz)
      rename to waymark_write_steps_of_locked_runs;

    create function waymark_write_steps(transitions jsonb, counter_sets jsonb, step_task text, job_attempts smallint,
      batch_size int, batch_started timestamptz)
    returns json language plpgsql as $$
    begin
      -- The job steps are the rows that name no node (a created step names its own, 0060).
      perform 1 from runs where id = any(array(
          select s.run_id from jsonb_array_elements(transitions) t join steps s on s.id = (t ->> 'id')::uuid
          where not t ? 'nodeId'))
        order by id for no key update;
      return waymark_write_steps_of_locked_runs(transitions, counter_sets, step_task, job_attempts, batch_size,
        batch_started);
    end
    $$;

    alter function waymark_write_steps(jsonb, jsonb, text, smallint, int, timestamptz) set enable_seqscan = off;
    alter function waymark_write_steps(jsonb, jsonb, text, smallint, int, timestamptz)
      set plan_cache_mode = force_generic_plan;
  `.execute(db);
}
