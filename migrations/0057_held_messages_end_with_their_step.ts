import { type Kysely, sql } from 'kysely';

// A message held for a send rate (or after a provider's 429) is a stored row whose step parks
// until its place comes. Ending the run cancelled the step, whose job then does nothing, and
// the row stayed `queued` for ever: counted in its credential's backlog, holding its place in
// the rate's queue. Whatever ends a run (a cancel, an archive, an erase, an exit, a failure)
// goes through waymark_end_runs, so that is where the steps it cancels let their messages go.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The messages side of it: the held messages (status queued with a delayed_until, as
    -- engine/messages/send-prepare.ts heldForRate reads them) stored under the given step
    -- idempotency keys will never be sent: failed, saying why, their places in the rates freed.
    create function waymark_release_held_messages(keys text[]) returns void language sql as $$
      update messages set status = 'failed', delayed_until = null, rate_slot_at = null, journey_slot_at = null,
        error = 'not sent: its run ended while it waited for its turn under a send rate'
      where idempotency_key = any(keys) and status = 'queued' and delayed_until is not null
    $$;

    -- As in 0012_kernel.ts, and the cancelled steps' held messages released with them.
    create or replace function waymark_end_runs(run_ids uuid[], new_status text, goal text, except_steps uuid[])
    returns setof uuid language plpgsql as $$
    declare
      ended uuid[];
      unparked json;
      released text[];
    begin
      perform 1 from runs where id = any(run_ids) and status in ('running', 'waiting') order by id for update;
      with e as (
        update runs set status = new_status, ended_at = now(), outcome = goal, open_steps = 0, waiting_steps = 0,
          reentry_lock = case when reentry_lock = 'active' then null else reentry_lock end
        where id = any(run_ids) and status in ('running', 'waiting')
        returning id
      )
      select coalesce(array_agg(id), '{}') into ended from e;
      if cardinality(ended) = 0 then return; end if;
      with old as (
        select s.id, s.status from steps s
        where s.run_id = any(ended) and s.status in ('pending', 'running', 'waiting')
          and not (s.id = any(coalesce(except_steps, '{}')))
        order by s.id
        for update of s
      ), cancelled as (
        update steps s set status = 'cancelled', finished_at = now()
        from old where s.id = old.id
        returning s.journey_id, s.version, s.node_id, old.status as was, coalesce(s.idempotency_key, s.id)::text as key
      )
      select json_agg(json_build_object('journeyId', journey_id, 'version', version, 'nodeId', node_id, 'waiting', -1))
          filter (where was = 'waiting'),
        array_agg(key)
      into unparked, released from cancelled;
      if unparked is not null then perform waymark_add_counters(unparked); end if;
      if released is not null then perform waymark_release_held_messages(released); end if;
      delete from waits where run_id = any(ended);
      return query select unnest(ended);
    end
    $$;
    -- create or replace drops the settings 0030 and 0037 gave it.
    alter function waymark_end_runs(uuid[], text, text, uuid[]) set enable_seqscan = off;
    alter function waymark_end_runs(uuid[], text, text, uuid[]) set plan_cache_mode = force_generic_plan;
  `.execute(db);
}
