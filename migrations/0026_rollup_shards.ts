import { type Kysely, sql } from 'kysely';

// Every sent message adds one to its hour's `sent` rollup row. With one row per key, each
// delivering transaction held that row until it committed, and sends queued behind one
// another's commits (the sending bench: 110 ms per status update). As node_counters do since
// 0012, writers now add to a random shard and the worker's fold gathers shards into shard 0;
// readers already sum.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table journey_rollups add column shard int not null default 0;
    alter table journey_rollups drop constraint journey_rollups_pkey;
    alter table journey_rollups add primary key (journey_id, hour, version, node_id, output, variant, metric, shard);
    create index journey_rollups_shards on journey_rollups (shard) where shard <> 0;

    -- plpgsql, not sql: PostgreSQL 15 plans a sql function's body at every call, and message
    -- triggers call this once per row.
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
        cross join (select (1 + floor(random() * 32767))::int as shard) s
      where d.n <> 0
      group by 1, 2, 3, 4, 5, 6, 7, 8, 9
      order by 2, 7, 3, 4, 5, 6, 8
      on conflict (journey_id, hour, version, node_id, output, variant, metric, shard) do update set
        n = journey_rollups.n + excluded.n;
    end
    $$;
  `.execute(db);
}
