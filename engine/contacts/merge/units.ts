import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { type ContactState, same, type UnitRow } from './state.js';

const keyOf = (u: Pick<UnitRow, 'journey_id' | 'node_id'>) => `${u.journey_id}\u0000${u.node_id}`;
const index = (rows: readonly UnitRow[]) => new Map(rows.map((u) => [keyOf(u), u]));
const earlier = (a: string | null, b: string | null) => (a && b ? (Date.parse(b) < Date.parse(a) ? b : a) : (a ?? b));

/**
 * One person's units after a merge (contracts/experiments.md: the unit is the contact): at a
 * split only the merged-away contact reached, its unit becomes the survivor's; at one both
 * reached, the survivor keeps its own (its later entries take that variant) and the other no
 * longer counts. When both had the same variant by weight, the kept unit converted, clicked or
 * opened when either first did: the person's runs through that variant are all the survivor's now.
 */
export function uniteUnits(survivor: readonly UnitRow[], merged: readonly UnitRow[]): UnitRow[] {
  const united = index(survivor);
  for (const m of merged) {
    const s = united.get(keyOf(m));
    if (!s) united.set(keyOf(m), m);
    else if (s.variant === m.variant && s.by === 'weights' && m.by === 'weights')
      united.set(keyOf(m), {
        ...s,
        goal_at: earlier(s.goal_at, m.goal_at),
        click_at: earlier(s.click_at, m.click_at),
        open_at: earlier(s.open_at, m.open_at),
      });
  }
  return [...united.values()];
}

/**
 * The units an unmerge leaves: a unit the merge moved onto the survivor goes back to the
 * restored contact with what it gained since (it is that contact's assignment); a survivor's
 * unit still as the merge made it is as it was before; one that converted since, or one the
 * survivor got since, stays. The restored contact gets its other units back as they were.
 */
export function undoUnits(
  current: readonly UnitRow[],
  record: { after: readonly UnitRow[]; before: readonly UnitRow[]; mergedBefore: readonly UnitRow[] },
): { survivor: UnitRow[]; restored: UnitRow[] } {
  const [after, before] = [index(record.after), index(record.before)];
  const restored = index(record.mergedBefore);
  const survivor: UnitRow[] = [];
  for (const now of current) {
    const [a, b] = [after.get(keyOf(now)), before.get(keyOf(now))];
    if (!a) survivor.push(now);
    else if (!b) restored.set(keyOf(now), now);
    else survivor.push(same(now, a) ? b : now);
  }
  return { survivor, restored: [...restored.values()] };
}

/**
 * The figures the units in `rows` (a CTE of `split_units` rows) hold, added `sign` times
 * through `waymark_add_rollups`, at the times the writer and the event paths count them: a
 * unit assigned by weight is `unit-entered` at its assignment, `unit-goal`, `unit-click` and
 * `unit-open` at its conversion, click and open.
 */
const rollUnits = (rows: RawBuilder<unknown>, sign: 1 | -1) => sql`
  select waymark_add_rollups(coalesce((select json_agg(x) from (
    select u.journey_id as "journeyId", 0 as version, u.node_id as "nodeId", u.variant, m.at as hour,
      m.metric, ${sign}::int as n
    from ${rows} u cross join lateral (values ('unit-entered', u.assigned_at), ('unit-goal', u.goal_at),
      ('unit-click', u.click_at), ('unit-open', u.open_at)) as m(metric, at)
    where u.by = 'weights' and m.at is not null) x), '[]'))`;

/** The contact's split units as they are now, locked. */
async function heldUnits(trx: Kysely<Database>, contactId: string): Promise<UnitRow[]> {
  const { rows } = await sql<{ unit: UnitRow }>`
    select to_jsonb(u) - 'workspace_id' - 'unit' as unit from split_units u
    where u.unit = ${contactId} order by u.journey_id, u.node_id for update`.execute(trx);
  return rows.map((r) => r.unit);
}

/**
 * Makes the contact's split units `rows`, moving the experiments' figures with them: a unit
 * that goes leaves its figures, one that comes adds its own, one unchanged is not touched. A
 * unit the writer assigned the contact meanwhile at the same split is kept (it counts already).
 * With `only`, its units at other splits stay as they are.
 */
export async function writeUnits(
  trx: Kysely<Database>,
  contactId: string,
  rows: readonly UnitRow[],
  only = false,
): Promise<void> {
  const [current, wanted] = [index(await heldUnits(trx, contactId)), index(rows)];
  const going = [...current.values()].filter((u) => (!only || wanted.has(keyOf(u))) && !same(u, wanted.get(keyOf(u))));
  const coming = rows.filter((u) => !same(u, current.get(keyOf(u))));
  if (going.length)
    await sql`
      with gone as (
        delete from split_units u
        where u.unit = ${contactId} and (u.journey_id, u.node_id) in (
          select * from unnest(${going.map((u) => u.journey_id)}::uuid[], ${going.map((u) => u.node_id)}::text[]))
        returning u.*)
      ${rollUnits(sql`gone`, -1)}`.execute(trx);
  if (coming.length)
    await sql`
      with came as (
        insert into split_units (workspace_id, journey_id, node_id, unit, variant, by, assigned_at, goal_at, click_at, open_at)
        select j.workspace_id, x.journey_id, x.node_id, ${contactId}, x.variant, x.by, x.assigned_at, x.goal_at,
          x.click_at, x.open_at
        from jsonb_to_recordset(${JSON.stringify(coming)}::jsonb) as x(journey_id uuid, node_id text, variant text,
          by text, assigned_at timestamptz, goal_at timestamptz, click_at timestamptz, open_at timestamptz)
          join journeys j on j.id = x.journey_id
        order by x.journey_id, x.node_id
        on conflict do nothing
        returning *)
      ${rollUnits(sql`came`, 1)}`.execute(trx);
}

/**
 * A merge's part in the experiments: the person's units united on the survivor (`uniteUnits`).
 * The merged-away contact's are read again once its runs have moved: a split step of one of
 * them being written as the merge began held the run, and its unit, under the merged-away id,
 * committed before the move did (later ones read the survivor from the run, 0084).
 */
export async function mergeUnits(trx: Kysely<Database>, survivor: ContactState, mergedId: string): Promise<void> {
  const merged = await heldUnits(trx, mergedId);
  await writeUnits(trx, survivor.contact.id, uniteUnits(survivor.units ?? [], merged));
  await writeUnits(trx, mergedId, []);
}

/**
 * An unmerge's part (`undoUnits`), from the merge's copies. At a split where the unit goes
 * back, a contact still merged into the survivor whose unit there gave way to it counts
 * again for the survivor. A merge recorded before units were kept left them where they were.
 */
export async function unmergeUnits(
  trx: Kysely<Database>,
  survivor: ContactState,
  restoredId: string,
  merge: { id: string; survivor_before: ContactState; survivor_after: ContactState; merged_before: ContactState },
): Promise<void> {
  if (!merge.survivor_after.units) return;
  const undone = undoUnits(survivor.units ?? [], {
    after: merge.survivor_after.units,
    before: merge.survivor_before.units ?? [],
    mergedBefore: merge.merged_before.units ?? [],
  });
  const { rows: others } = await sql<{ units: UnitRow[] | null }>`
    select merged_before -> 'units' as units from contact_merges
    where survivor_id = ${survivor.contact.id} and unmerged_at is null and id <> ${merge.id}
    order by merged_at, id`.execute(trx);
  const kept = others.reduce((units, o) => uniteUnits(units, o.units ?? []), undone.survivor);
  await writeUnits(trx, survivor.contact.id, kept);
  // A unit that reached its id while it was merged away (a step settled as the merge began) stays.
  await writeUnits(trx, restoredId, undone.restored, true);
}
