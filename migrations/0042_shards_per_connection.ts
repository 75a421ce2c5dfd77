import { type Kysely, sql } from 'kysely';

// Node counters and hourly rollups were added to a random shard of their key (0012, 0026), so
// that no two writers wait on one hot row: every batch inserted a new row in each (journey
// version, node, output) and hour it touched — heap, primary key and shard index — which the
// fold then deleted (in the latency bench a third of the writer's time). A writer now adds to
// its connection's own shard: no other session writes that row, so none waits on it, and a
// batch updates the row its connection's last batch left (in place, a heap-only update)
// instead of inserting one. The fold and the readers are unchanged.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The shard this connection's writes go to (its server process's pid), never 0 (the fold's).
    create function waymark_writer_shard() returns int language sql stable parallel restricted as $$
      select 1 + pg_backend_pid() % 32767
    $$;

    -- As in 0027, into the connection's shard.
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
        cross join (select waymark_writer_shard() as shard) s
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

    -- As in 0026, into the connection's shard.
    create or replace function waymark_add_rollups(deltas json) returns void language plpgsql as $$
    begin
      -- Each row in its journey's workspace.
      insert into journey_rollups (workspace_id, journey_id, version, node_id, output, variant, hour, metric, shard, n)
      select j.workspace_id, d."journeyId", d.version, coalesce(d."nodeId", ''),
        coalesce(d.output, ''), coalesce(d.variant, ''), date_trunc('hour', coalesce(d.hour, now()), 'UTC'), d.metric,
        s.shard, sum(d.n)
      from json_to_recordset(deltas) as d("journeyId" uuid, version int, "nodeId" text, output text, variant text,
        hour timestamptz, metric text, n bigint)
        join journeys j on j.id = d."journeyId"
        cross join (select waymark_writer_shard() as shard) s
      where d.n <> 0
      group by 1, 2, 3, 4, 5, 6, 7, 8, 9
      order by 2, 7, 3, 4, 5, 6, 8
      on conflict (journey_id, hour, version, node_id, output, variant, metric, shard) do update set
        n = journey_rollups.n + excluded.n;
    end
    $$;

    -- A replaced function loses its settings (0037): given again.
    alter function waymark_add_counters(json) set plan_cache_mode = force_generic_plan;
    alter function waymark_add_rollups(json) set plan_cache_mode = force_generic_plan;
  `.execute(db);
}
