import { type Kysely, sql } from 'kysely';

// Two costs in every hourly rollup write (each step batch, webhook group and message batch):
// - Its generic plan found each delta's workspace by joining every journey of every workspace
//   (a sequential scan, or with enable_seqscan off a full scan of journeys_pkey): 2,121
//   journeys cost 0.16 ms of a 0.39 ms call, and the cost grew with the instance. Each group of
//   deltas now looks its journey up by key (OFFSET 0 keeps the subquery from being flattened
//   back into the join).
// - Since 0042 a connection adds to its own shard row, but `n` was in an index (the INCLUDE of
//   journey_rollups_by_node), so no update was heap-only: each inserted a new entry in all three
//   indexes. No reader scans that index alone (both read workspace_id from the heap), so `n`
//   leaves it, and pages keep room for the new row versions.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index journey_rollups_by_node;
    create index journey_rollups_by_node on journey_rollups (journey_id, node_id, metric, variant);
    alter table journey_rollups set (fillfactor = 50);

    -- As in 0042, the workspace read by key; grouped in the primary key's order, so that the
    -- rows arrive in the order writers lock them without another sort.
    create or replace function waymark_add_rollups(deltas json) returns void language plpgsql as $$
    begin
      insert into journey_rollups (workspace_id, journey_id, version, node_id, output, variant, hour, metric, shard, n)
      select j.workspace_id, g.journey_id, g.version, g.node_id, g.output, g.variant, g.hour, g.metric,
        waymark_writer_shard(), g.n
      from (
        select d."journeyId" as journey_id, date_trunc('hour', coalesce(d.hour, now()), 'UTC') as hour, d.version,
          coalesce(d."nodeId", '') as node_id, coalesce(d.output, '') as output, coalesce(d.variant, '') as variant,
          d.metric, sum(d.n) as n
        from json_to_recordset(deltas) as d("journeyId" uuid, version int, "nodeId" text, output text, variant text,
          hour timestamptz, metric text, n bigint)
        where d.n <> 0
        group by 1, 2, 3, 4, 5, 6, 7
      ) g
        cross join lateral (select workspace_id from journeys where id = g.journey_id offset 0) j
      order by g.journey_id, g.hour, g.version, g.node_id, g.output, g.variant, g.metric
      on conflict (journey_id, hour, version, node_id, output, variant, metric, shard) do update set
        n = journey_rollups.n + excluded.n;
    end
    $$;

    -- A replaced function loses its settings (0037): given again.
    alter function waymark_add_rollups(json) set plan_cache_mode = force_generic_plan;
  `.execute(db);
}
