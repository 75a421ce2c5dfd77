import { type Kysely, sql } from 'kysely';

// A message's `failed` figure (contracts/experiments.md "Analytics": messages, each in the bucket
// of its createdAt) was added each time the row became failed: a send retried three times
// counted three failed messages, and one that failed twice and was then sent counted sent 1,
// failed 2. A message is decided again (queued) before each attempt, so the figure now follows
// the row both ways: +1 when it becomes failed, −1 when it leaves failed. The rest is 0029's.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function waymark_message_rollups() returns trigger language plpgsql as $$
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
            'metric', d.metric, 'hour', d.hour, 'n', d.n))
          into deltas
        from new_messages n
        join old_messages o on o.id = n.id
        join runs r on r.id = n.run_id
        cross join lateral (values
          ('sent', coalesce(n.sent_at, now()), case when n.status = 'sent' and o.status is distinct from 'sent' then 1 else 0 end),
          ('suppressed:' || coalesce(n.reason, 'unknown'), n.created_at,
            case when n.status = 'suppressed' and o.status is distinct from 'suppressed' then 1 else 0 end),
          ('failed-message', n.created_at,
            case when n.status = 'failed' and o.status is distinct from 'failed' then 1
              when o.status = 'failed' and n.status is distinct from 'failed' then -1 else 0 end),
          ('bounced', now(), case when n.bounce is not null and o.bounce is null then 1 else 0 end)
        ) as d(metric, hour, n)
        where d.n <> 0 and n.journey_id is not null and n.node_id is not null;
      end if;
      if deltas is not null then perform waymark_add_rollups(deltas); end if;
      return null;
    end
    $$;
  `.execute(db);
}
