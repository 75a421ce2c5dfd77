import { type Kysely, sql } from 'kysely';

// A marketing message due in quiet hours is stored `delayed` and its step parks until they
// end. Ending the run cancelled the step, whose job then did nothing, and the message stayed
// `delayed` for ever: so listed by GET /api/messages, counted in the messages backlog.
// waymark_end_runs already let the held messages of the steps it cancels go (0057): the same
// function now ends every message of theirs not sent yet. A send decides and hands over
// under a lock on its run (engine/runs/end-runs.ts endedRunsAmong), so the end of a run waits
// for a hand-over in flight, and a message it finds `queued` is not on its way out: it was
// stored between its decision and its hand-over (a send rate's turn, or a send to no contact).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function waymark_release_held_messages(keys text[]) returns void language sql as $$
      update messages set status = 'failed', reason = null, delayed_until = null, rate_slot_at = null,
        journey_slot_at = null,
        error = case
          when status = 'delayed' then 'not sent: its run ended while it waited for quiet hours to end'
          when delayed_until is not null then 'not sent: its run ended while it waited for its turn under a send rate'
          else 'not sent: its run ended before it was handed over'
        end
      where idempotency_key = any(keys) and status in ('queued', 'delayed')
    $$;

    -- The messages left unsent by runs that ended before now go the same way.
    select waymark_release_held_messages(array(
      select m.idempotency_key from messages m join runs r on r.id = m.run_id
      where m.status in ('queued', 'delayed') and r.status not in ('running', 'waiting')
    ));
  `.execute(db);
}
