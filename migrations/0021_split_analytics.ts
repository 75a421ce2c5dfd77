import { type Kysely, sql } from 'kysely';

// The writer's analytics (0017) looked a split node up in its version's graph once per settled
// step; a batch of 100 tokens through a split detoasted and expanded the graph 100 times. Now
// once per (version, node) in the batch. Same rows written.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function waymark_write_analytics(done json) returns void language sql as $$
      with candidates as (
        select d.journey_id, d.version, d.node_id, d.run_id, d."contactId" as contact_id,
          d.output ->> 'variant' as variant, coalesce(d.output ->> 'by', 'weights') as by
        from json_to_recordset(done) as d(journey_id uuid, version int, node_id text, run_id uuid,
          "contactId" uuid, kind text, output jsonb)
        where d.kind = 'complete' and jsonb_typeof(d.output -> 'variant') = 'string'
      ), splits as (
        -- Each node's graph looked up once per batch, not once per step (the graph is large).
        select k.journey_id, k.version, k.node_id
        from (select distinct journey_id, version, node_id from candidates) k
        where exists (select 1 from journey_versions v cross join lateral jsonb_array_elements(v.graph -> 'nodes') n
            where v.journey_id = k.journey_id and v.version = k.version
              and n ->> 'id' = k.node_id and n ->> 'type' = 'core.split')
      ), d as (
        select c.* from candidates c join splits s using (journey_id, version, node_id)
      ), tests as (
        insert into split_tests (workspace_id, journey_id, node_id, started_at)
        select distinct j.workspace_id, d.journey_id, d.node_id, now() from d join journeys j on j.id = d.journey_id
        order by 2, 3
        on conflict do nothing
      ), units as (
        insert into split_units (workspace_id, journey_id, node_id, unit, variant, by)
        select distinct on (d.journey_id, d.node_id, coalesce(d.contact_id::text, 'run:' || d.run_id))
          j.workspace_id, d.journey_id, d.node_id,
          coalesce(d.contact_id::text, 'run:' || d.run_id), d.variant, d.by
        from d join journeys j on j.id = d.journey_id order by d.journey_id, d.node_id, coalesce(d.contact_id::text, 'run:' || d.run_id)
        on conflict do nothing
        returning journey_id, node_id, variant, by
      )
      select waymark_add_rollups(coalesce((select json_agg(x) from (
        select u.journey_id as "journeyId", 0 as version, u.node_id as "nodeId", u.variant, 'unit-entered' as metric, 1 as n
        from units u where u.by = 'weights'
        union all
        select d.journey_id, d.version, d.node_id, d.variant, 'routed', 1 from d where d.by <> 'weights'
      ) x), '[]'));
    $$;
  `.execute(db);
}
