import { type Kysely, sql } from 'kysely';

// A send its step retries (a provider's 5xx or timeout, NODES.md provider.unavailable) wrote its
// message `failed` at once: GET /api/messages showed failed, with the refusal, while the run
// was running and the next attempt about to send it (API.md: failed is final). Such a message
// now stays `queued` with the refusal as its error and no delayed_until (markColumns, kind
// 'retrying'); the writer fails it when its step settles for good (completes, under onError
// too, or fails) with it still so. A retry that sends it re-decides it first (queued, no error).
// 0068's writer, which locks the runs before their steps, is kept; the messages come after them,
// as in waymark_end_runs (runs, steps, messages), so the two never wait for each other in turn.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function waymark_write_steps(transitions jsonb, counter_sets jsonb, step_task text,
      job_attempts smallint, batch_size int, batch_started timestamptz)
    returns json language plpgsql as $$
    declare
      written json;
    begin
      -- The job steps are the rows that name no node (a created step names its own, 0060).
      perform 1 from runs where id = any(array(
          select s.run_id from jsonb_array_elements(transitions) t join steps s on s.id = (t ->> 'id')::uuid
          where not t ? 'nodeId'))
        order by id for no key update;
      written := waymark_write_steps_of_locked_runs(transitions, counter_sets, step_task, job_attempts, batch_size,
        batch_started);
      update messages set status = 'failed'
        where idempotency_key = any(array(
            select coalesce(s.idempotency_key, s.id)::text
            from jsonb_array_elements(transitions) t join steps s on s.id = (t ->> 'id')::uuid
            where not t ? 'nodeId' and t ->> 'kind' in ('complete', 'fail')))
          and status = 'queued' and error is not null and delayed_until is null;
      return written;
    end
    $$;

    alter function waymark_write_steps(jsonb, jsonb, text, smallint, int, timestamptz) set enable_seqscan = off;
    alter function waymark_write_steps(jsonb, jsonb, text, smallint, int, timestamptz)
      set plan_cache_mode = force_generic_plan;
  `.execute(db);
}
