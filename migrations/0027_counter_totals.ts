import { type Kysely, sql } from 'kysely';

// A step batch hands waymark_add_counters one delta per token and node (thousands for a batch
// of inline chains), which it read twice and turned into rollup objects one by one: a fifth
// of the writer's time. It now sums them per (journey, version, node, output) once, and both
// the counters and the hour's rollups are written from those few totals.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function waymark_add_counters(deltas json) returns void language sql as $$
      with totals as (
        select d."journeyId" as journey_id, d.version, d."nodeId" as node_id, coalesce(d.output, '') as output,
          sum(coalesce(d.entered, 0)) as entered, sum(coalesce(d.completed, 0)) as completed,
          sum(coalesce(d.failed, 0)) as failed, sum(coalesce(d.waiting, 0)) as waiting, sum(coalesce(d.taken, 0)) as taken
        from json_to_recordset(deltas) as d("journeyId" uuid, version int, "nodeId" text, output text,
            entered bigint, completed bigint, failed bigint, waiting bigint, taken bigint)
        group by 1, 2, 3, 4
      ), counted as (
        insert into node_counters (journey_id, version, node_id, output, shard, entered, completed, failed, waiting, taken)
        select t.journey_id, t.version, t.node_id, t.output, s.shard, t.entered, t.completed, t.failed, t.waiting, t.taken
        from totals t cross join (select (1 + floor(random() * 32767))::int as shard) s
        order by 1, 2, 3, 4
        on conflict (journey_id, version, node_id, output, shard) do update set
          entered = node_counters.entered + excluded.entered,
          completed = node_counters.completed + excluded.completed,
          failed = node_counters.failed + excluded.failed,
          waiting = node_counters.waiting + excluded.waiting,
          taken = node_counters.taken + excluded.taken
      )
      select waymark_add_rollups(coalesce(json_agg(json_build_object('journeyId', t.journey_id, 'version', t.version,
          'nodeId', t.node_id, 'output', t.output, 'metric', m.metric, 'n', m.n)), '[]'))
      from totals t
        cross join lateral (values ('entered', t.entered), ('completed', t.completed), ('failed', t.failed),
          ('taken', t.taken)) as m(metric, n)
      where m.n <> 0;
    $$;
  `.execute(db);
}
