import { type Kysely, sql } from 'kysely';

// The split analytics of a step batch were the last kernel function in `language sql`, whose
// statements PostgreSQL 15 plans at every call (0037 moved the others): 8 ms of each batch of
// 100 contacts through the bench's 5-node journey, a sixth of the writer's time. As plpgsql
// it keeps its plan. Same statement, same rows.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function waymark_write_analytics(done json) returns void language plpgsql as $$
    declare
      called int;
    begin
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
      select count(*) into called from (select waymark_add_rollups(coalesce((select json_agg(x) from (
        select u.journey_id as "journeyId", 0 as version, u.node_id as "nodeId", u.variant, 'unit-entered' as metric, 1 as n
        from units u where u.by = 'weights'
        union all
        select d.journey_id, d.version, d.node_id, d.variant, 'routed', 1 from d where d.by <> 'weights'
      ) x), '[]'))) r;
    end
    $$;

    alter function waymark_write_analytics(json) set plan_cache_mode = force_generic_plan;
  `.execute(db);
}
