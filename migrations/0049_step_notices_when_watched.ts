import { type Kysely, sql } from 'kysely';

// Every finished step sent a NOTIFY for the live feed, watched or not: a pg_notify per step
// (four a contact of the bench's 5-node journey, 5% of PostgreSQL's time there with the queue
// writes at commit), and every notifying transaction takes the database's notify lock at
// commit, one after another. The live feed now says when a process has clients
// (live_watchers, a row kept fresh while it has any: engine/runs/live-watch.ts), and
// the step notices are sent only then, by one function for every path that finishes or
// starts steps.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table live_watchers (
      id uuid primary key,
      -- Refreshed while the process has live clients; a process that died stops counting then.
      until timestamptz not null
    );

    -- Whether some process has live clients now. Callers that build many notices filter by it
    -- first (a one-time filter in their WHERE): the notices cost as much to make as to send.
    create function waymark_live_watched() returns boolean language sql stable as $$
      select exists (select 1 from live_watchers where until > now())
    $$;

    -- The live feed's step notices (API.md "Live feed"), each a JSON object, on the
    -- waymark_steps channel: sent only while some process has live clients.
    create function waymark_notify_steps(notices json) returns int language plpgsql as $$
    declare
      sent int;
    begin
      if notices is null or not waymark_live_watched() then
        return 0;
      end if;
      perform pg_notify('waymark_steps', n::text) from json_array_elements(notices) as n;
      get diagnostics sent = row_count;
      return sent;
    end
    $$;

    -- 0040's, its notices sent by waymark_notify_steps (no channel of its own).
    drop function waymark_queue_marked(uuid[], json, text, text, smallint, int);
    create function waymark_queue_marked(step_ids uuid[], notices json, step_task text,
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
      perform waymark_notify_steps(notices);
      return coalesce(queued, 0);
    end
    $$;
    alter function waymark_queue_marked(uuid[], json, text, smallint, int) set enable_seqscan = off;
    alter function waymark_queue_marked(uuid[], json, text, smallint, int) set plan_cache_mode = force_generic_plan;
  `.execute(db);
}
