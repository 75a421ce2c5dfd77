import { type Kysely, sql } from 'kysely';

// The message trigger of 0017/0027 ran once per row: a step batch's sends, now written in one
// statement, called waymark_add_rollups once per message (a third of a millisecond each). It
// runs once per statement now, over the statement's rows (transition tables), with the same
// figures: a change moves a figure only when the row's status (or bounce) becomes it. A
// trigger with transition tables may have one event and no column list, hence two triggers on
// one function; an update that moves no figure adds nothing.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger messages_rollups on messages;
    drop function waymark_message_rollups();

    create function waymark_message_rollups() returns trigger language plpgsql as $$
    declare
      deltas json;
    begin
      if tg_op = 'INSERT' then
        select json_agg(json_build_object('journeyId', n.journey_id, 'version', r.version, 'nodeId', n.node_id,
            'metric', d.metric, 'hour', d.hour, 'n', 1))
          into deltas
        from new_messages n
        join runs r on r.id = n.run_id
        cross join lateral (values
          ('sent', coalesce(n.sent_at, now()), n.status = 'sent'),
          ('suppressed:' || coalesce(n.reason, 'unknown'), n.created_at, n.status = 'suppressed'),
          ('failed-message', n.created_at, n.status = 'failed'),
          ('bounced', now(), n.bounce is not null)
        ) as d(metric, hour, moved)
        where d.moved and n.journey_id is not null and n.node_id is not null;
      else
        select json_agg(json_build_object('journeyId', n.journey_id, 'version', r.version, 'nodeId', n.node_id,
            'metric', d.metric, 'hour', d.hour, 'n', 1))
          into deltas
        from new_messages n
        join old_messages o on o.id = n.id
        join runs r on r.id = n.run_id
        cross join lateral (values
          ('sent', coalesce(n.sent_at, now()), n.status = 'sent' and o.status is distinct from 'sent'),
          ('suppressed:' || coalesce(n.reason, 'unknown'), n.created_at,
            n.status = 'suppressed' and o.status is distinct from 'suppressed'),
          ('failed-message', n.created_at, n.status = 'failed' and o.status is distinct from 'failed'),
          ('bounced', now(), n.bounce is not null and o.bounce is null)
        ) as d(metric, hour, moved)
        where d.moved and n.journey_id is not null and n.node_id is not null;
      end if;
      if deltas is not null then perform waymark_add_rollups(deltas); end if;
      return null;
    end
    $$;

    create trigger messages_rollups_inserted after insert on messages
      referencing new table as new_messages
      for each statement execute function waymark_message_rollups();
    create trigger messages_rollups_updated after update on messages
      referencing old table as old_messages new table as new_messages
      for each statement execute function waymark_message_rollups();
  `.execute(db);
}
