import { type Kysely, sql } from 'kysely';

// contracts/experiments.md "Figures": a unit converted (goal) when it has a run through its
// variant that converted. A conversion is recorded when its event is stored, on the splits the
// run had passed then (engine/experiments/conversions.ts); a run that converted before it
// reached the split (a wait in front of it) went through the variant all the same, and was
// never counted: its run shows the conversion and the variant, the experiment did not. The
// body of 0051, and such a run now converts its unit as it takes the variant, once, at the
// conversion's time: a new unit as it is stored, a unit stored before (a re-entry) by update.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function waymark_write_analytics(done waymark_settled[]) returns void language plpgsql as $$
    declare
      called int;
    begin
      with candidates as (
        select d.journey_id, d.version, d.node_id, d.run_id, d."contactId" as contact_id,
          d.output ->> 'variant' as variant, coalesce(d.output ->> 'by', 'weights') as by
        from unnest(done) d
        where d.kind = 'complete' and jsonb_typeof(d.output -> 'variant') = 'string'
      ), splits as (
        -- Each node's graph looked up once per batch, not once per step (the graph is large).
        select k.journey_id, k.version, k.node_id
        from (select distinct journey_id, version, node_id from candidates) k
        where exists (select 1 from journey_versions v cross join lateral jsonb_array_elements(v.graph -> 'nodes') n
            where v.journey_id = k.journey_id and v.version = k.version
              and n ->> 'id' = k.node_id and n ->> 'type' = 'core.split')
      ), d as (
        select c.*, coalesce(c.contact_id::text, 'run:' || c.run_id) as unit,
          (select rc.at from run_conversions rc where rc.run_id = c.run_id) as converted_at
        from candidates c join splits s using (journey_id, version, node_id)
      ), tests as (
        insert into split_tests (workspace_id, journey_id, node_id, started_at)
        select distinct j.workspace_id, d.journey_id, d.node_id, now() from d join journeys j on j.id = d.journey_id
        order by 2, 3
        on conflict do nothing
      ), units as (
        insert into split_units (workspace_id, journey_id, node_id, unit, variant, by, goal_at)
        select distinct on (d.journey_id, d.node_id, d.unit)
          j.workspace_id, d.journey_id, d.node_id, d.unit, d.variant, d.by,
          case when d.by = 'weights' then d.converted_at end
        from d join journeys j on j.id = d.journey_id order by d.journey_id, d.node_id, d.unit
        on conflict do nothing
        returning journey_id, node_id, variant, by, goal_at
      ), earlier as (
        -- A unit stored before: this statement's inserts are not seen here, so none counts twice.
        update split_units u set goal_at = x.converted_at
        from (select distinct on (journey_id, node_id, unit) * from d where d.converted_at is not null
          order by journey_id, node_id, unit) x
        where u.journey_id = x.journey_id and u.node_id = x.node_id and u.unit = x.unit and u.variant = x.variant
          and u.by = 'weights' and u.goal_at is null
        returning u.journey_id, u.node_id, u.variant, u.goal_at
      )
      select count(*) into called from (select waymark_add_rollups(coalesce((select json_agg(x) from (
        select u.journey_id as "journeyId", 0 as version, u.node_id as "nodeId", u.variant,
          null::timestamptz as hour, 'unit-entered' as metric, 1 as n
        from units u where u.by = 'weights'
        union all
        select u.journey_id, 0, u.node_id, u.variant, u.goal_at, 'unit-goal', 1
        from units u where u.by = 'weights' and u.goal_at is not null
        union all
        select e.journey_id, 0, e.node_id, e.variant, e.goal_at, 'unit-goal', 1 from earlier e
        union all
        select d.journey_id, d.version, d.node_id, d.variant, null, 'routed', 1 from d where d.by <> 'weights'
      ) x), '[]'))) r;
    end
    $$;
    -- A replaced function loses its settings (0037): given again.
    alter function waymark_write_analytics(waymark_settled[]) set plan_cache_mode = force_generic_plan;
  `.execute(db);
}
