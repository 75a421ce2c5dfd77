import { type Kysely, sql } from 'kysely';

// A step batch hands waymark_add_counters one delta per token and node (thousands for a batch
// of inline chains), which it read twice and turned into rollup objects one by one: a fifth
// of the writer's time. It now sums them per (journey, version, node, output) once, and both
// the counters and the hour's rollups are written from those few totals. Both it and the
// message trigger are plpgsql, whose plans a session keeps (a sql function is planned at every
// call), and a message change that moves no figure no longer calls the rollups at all.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function waymark_add_counters(deltas json) returns void language plpgsql as $$
    declare
      totals json;
    begin
      select json_agg(t) into totals from (
        select d."journeyId" as journey_id, d.version, d."nodeId" as node_id, coalesce(d.output, '') as output,
          sum(coalesce(d.entered, 0)) as entered, sum(coalesce(d.completed, 0)) as completed,
          sum(coalesce(d.failed, 0)) as failed, sum(coalesce(d.waiting, 0)) as waiting, sum(coalesce(d.taken, 0)) as taken
        from json_to_recordset(deltas) as d("journeyId" uuid, version int, "nodeId" text, output text,
            entered bigint, completed bigint, failed bigint, waiting bigint, taken bigint)
        group by 1, 2, 3, 4
        order by 1, 2, 3, 4
      ) t;
      if totals is null then return; end if;

      insert into node_counters (journey_id, version, node_id, output, shard, entered, completed, failed, waiting, taken)
      select t.journey_id, t.version, t.node_id, t.output, s.shard, t.entered, t.completed, t.failed, t.waiting, t.taken
      from json_to_recordset(totals) as t(journey_id uuid, version int, node_id text, output text,
          entered bigint, completed bigint, failed bigint, waiting bigint, taken bigint)
        cross join (select (1 + floor(random() * 32767))::int as shard) s
      order by 1, 2, 3, 4
      on conflict (journey_id, version, node_id, output, shard) do update set
        entered = node_counters.entered + excluded.entered,
        completed = node_counters.completed + excluded.completed,
        failed = node_counters.failed + excluded.failed,
        waiting = node_counters.waiting + excluded.waiting,
        taken = node_counters.taken + excluded.taken;

      perform waymark_add_rollups(coalesce(json_agg(json_build_object('journeyId', t.journey_id, 'version', t.version,
          'nodeId', t.node_id, 'output', t.output, 'metric', m.metric, 'n', m.n)), '[]'))
      from json_to_recordset(totals) as t(journey_id uuid, version int, node_id text, output text,
          entered bigint, completed bigint, failed bigint, taken bigint)
        cross join lateral (values ('entered', t.entered), ('completed', t.completed), ('failed', t.failed),
          ('taken', t.taken)) as m(metric, n)
      where m.n <> 0;
    end
    $$;

    -- As in 0017, but returning before the rollups when the change moves no figure (a queued
    -- message, a status written again).
    create or replace function waymark_message_rollups() returns trigger language plpgsql as $$
    declare
      v int;
      deltas json;
    begin
      if new.run_id is null or new.journey_id is null or new.node_id is null then return null; end if;
      select version into v from runs where id = new.run_id;
      if v is null then return null; end if;
      select json_agg(x) into deltas from (
        select 'sent' as metric, coalesce(new.sent_at, now()) as hour
          where new.status = 'sent' and (tg_op = 'INSERT' or old.status is distinct from 'sent')
        union all
        select 'suppressed:' || coalesce(new.reason, 'unknown'), new.created_at
          where new.status = 'suppressed' and (tg_op = 'INSERT' or old.status is distinct from 'suppressed')
        union all
        select 'failed-message', new.created_at
          where new.status = 'failed' and (tg_op = 'INSERT' or old.status is distinct from 'failed')
        union all
        select 'bounced', now()
          where new.bounce is not null and (tg_op = 'INSERT' or old.bounce is null)
      ) x;
      if deltas is null then return null; end if;
      perform waymark_add_rollups((select json_agg(json_build_object('journeyId', new.journey_id,
          'version', v, 'nodeId', new.node_id, 'metric', d ->> 'metric', 'hour', d ->> 'hour', 'n', 1))
        from json_array_elements(deltas) d));
      return null;
    end
    $$;
  `.execute(db);
}
