import { type Kysely, sql } from 'kysely';

// contracts/experiments.md: the unit is the contact, and a merge makes two contacts one person
// (engine/contacts/merge/units.ts). Two ways a merged-away contact still held units:
//
// 1. A split step of its run that settled as the merge committed: the step ran naming the
//    merged-away contact, and the writer stored the unit under that id, so the person counted
//    twice. The writer now takes the unit from the run's row, which it holds locked from its
//    first statement (0068): a merge moves the run to the survivor, so either it committed before
//    the writer took the run, and the writer reads the survivor, or it waits for the writer and
//    moves the unit the writer wrote with the others (the merge reads the units after the runs).
//    The run's row is read by its key next to the lock already held; no contact is locked (a
//    lock on the contact after the run, the merge's order reversed, would deadlock with it).
//    Where the survivor holds a unit at the split, the insert gives way to it: counted once,
//    converted (0080) when the run converted through the same variant.
//
// 2. Merges made before the merge moved units (1e55540) left each merged-away contact's units
//    under its own id. Every contact still merged away now gets the merge rule applied at once:
//    at each split, the unit kept is its survivor's own, else the one of the contact merged
//    first (through a chain, the contact it was merged into before those merged into it); when
//    it is by weight, it converted, was clicked and opened when the first of the person's units
//    by weight in the same variant was. The figures move with the units: the units of each split
//    touched leave theirs (waymark_add_rollups, -1) and the united ones add theirs, at the times
//    the writer and the event paths count them. Merge records made before keep no units, so an
//    unmerge of one leaves the units on the survivor (engine/contacts/merge/units.ts).
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
        -- The run's contact now (a merge moves the run to the survivor), not the one its step named.
        select c.*, coalesce(r.contact_id::text, c.contact_id::text, 'run:' || c.run_id) as unit,
          (select rc.at from run_conversions rc where rc.run_id = c.run_id) as converted_at
        from candidates c join splits s using (journey_id, version, node_id)
          left join runs r on r.id = c.run_id
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

  await (db.isTransaction ? uniteUnits(db) : db.transaction().execute(uniteUnits));
}

/**
 * The figures the units in \`rows\` (a CTE of \`split_units\` rows) hold, added \`sign\` times, as
 * engine/contacts/merge/units.ts counts them (a migration keeps its own copy: the engine's may change).
 */
const rolled = (rows: string, sign: 1 | -1) => sql`
  select waymark_add_rollups(coalesce((select json_agg(x) from (
    select u.journey_id as "journeyId", 0 as version, u.node_id as "nodeId", u.variant, m.at as hour, m.metric,
      ${sql.lit(sign)}::int as n
    from ${sql.raw(rows)} u cross join lateral (values ('unit-entered', u.assigned_at), ('unit-goal', u.goal_at),
      ('unit-click', u.click_at), ('unit-open', u.open_at)) as m(metric, at)
    where u.by = 'weights' and m.at is not null) x), '[]'))`;

async function uniteUnits(trx: Kysely<unknown>): Promise<void> {
  await sql`
    create temp table waymark_held_units on commit drop as
    with recursive up as (
      -- Each merged-away contact, climbed to its survivor: the merge times on the way, the
      -- survivor's first, order the units as the merges, made one after the other, would have.
      select c.id, c.merged_into as survivor, c.id as at, array[]::timestamptz[] as path, 0 as depth
      from contacts c where c.merged_into is not null
      union all
      select up.id, up.survivor, m.survivor_id, m.merged_at || up.path, up.depth + 1
      from up cross join lateral (
        select m.survivor_id, m.merged_at from contact_merges m
        where m.merged_id = up.at and m.unmerged_at is null order by m.merged_at desc, m.id desc limit 1) m
      where up.at <> up.survivor and up.depth < 32
    ), ranked as (
      -- A contact whose merges are not all recorded (erased since) comes after the others.
      select distinct on (id) id::text as unit, survivor::text as survivor,
        case when at = survivor then path else array['infinity'::timestamptz] end as path
      from up order by id, depth desc
    ), moved as (
      select u.*, r.survivor, r.path from ranked r join split_units u on u.unit = r.unit
    )
    -- The units of every split a merged-away contact reached, its survivor's own first.
    select * from moved
    union all
    select u.*, u.unit, array[]::timestamptz[]
    from (select distinct journey_id, node_id, survivor from moved) k
      join split_units u on u.journey_id = k.journey_id and u.node_id = k.node_id and u.unit = k.survivor
  `.execute(trx);
  await sql`
    with gone as (
      delete from split_units u using waymark_held_units h
      where u.journey_id = h.journey_id and u.node_id = h.node_id and u.unit = h.unit
      returning u.*)
    ${rolled('gone', -1)}`.execute(trx);
  await sql`
    with kept as (
      select distinct on (journey_id, node_id, survivor) * from waymark_held_units
      order by journey_id, node_id, survivor, path, unit
    ), came as (
      insert into split_units (workspace_id, journey_id, node_id, unit, variant, by, assigned_at, goal_at, click_at,
        open_at)
      select k.workspace_id, k.journey_id, k.node_id, k.survivor, k.variant, k.by, k.assigned_at,
        case when k.by = 'weights' then min(h.goal_at) else k.goal_at end,
        case when k.by = 'weights' then min(h.click_at) else k.click_at end,
        case when k.by = 'weights' then min(h.open_at) else k.open_at end
      from kept k join waymark_held_units h
        on h.journey_id = k.journey_id and h.node_id = k.node_id and h.survivor = k.survivor
          and (h.unit = k.unit or (k.by = 'weights' and h.by = 'weights' and h.variant = k.variant))
      group by k.workspace_id, k.journey_id, k.node_id, k.survivor, k.unit, k.variant, k.by, k.assigned_at,
        k.goal_at, k.click_at, k.open_at
      order by k.journey_id, k.node_id, k.survivor
      returning *)
    ${rolled('came', 1)}`.execute(trx);
  await sql`drop table waymark_held_units`.execute(trx);
}
