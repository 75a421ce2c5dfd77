import type { JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { fireComputedTriggers } from './becomes.js';
import { type Definition, dependencies } from './definition.js';
import { type Scope, valuesSql } from './value-sql.js';

/** A contact whose value changed: what it was and what it is. */
export interface ValueChange {
  contactId: string;
  attribute: string;
  previous: unknown;
  value: unknown;
  /**
   * The values contacts merged into it in this change held: the person held them too, so a
   * value one of them already satisfied is no entry (`enters`).
   */
  formerly?: unknown[];
}

export interface NamedDefinition {
  name: string;
  definition: Definition;
}

/** Definitions ordered so that each comes after those its filters name (cycles are refused at PUT). */
export function inDependencyOrder<T extends NamedDefinition>(defs: readonly T[]): T[] {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const done = new Set<string>();
  const out: T[] = [];
  const visit = (d: T, path: Set<string>) => {
    if (done.has(d.name) || path.has(d.name)) return;
    path.add(d.name);
    for (const dep of dependencies(d.definition)) {
      const next = byName.get(dep);
      if (next) visit(next, path);
    }
    done.add(d.name);
    out.push(d);
  };
  for (const d of defs) visit(d, new Set());
  return out;
}

/** Locks the contacts in id order, so that two writers of the same contacts cannot deadlock on them. */
async function lockContacts(db: Kysely<Database>, contactIds: readonly string[]): Promise<void> {
  await sql`select id from contacts where id = any(${[...contactIds]}::uuid[]) order by id for no key update`.execute(
    db,
  );
}

/**
 * Recomputes one attribute for the contacts in scope, set-based, writing only values that
 * changed; answers the changes.
 *
 * A contact written by someone else while the statement waited for its row (an event stored
 * and counted meanwhile) is not written from the values read before it: they would undo what
 * that writer counted. Those contacts are computed again once locked.
 */
export async function refreshValues(db: Kysely<Database>, attr: NamedDefinition, scope: Scope): Promise<ValueChange[]> {
  // `o` is each row as the statement's snapshot found it; a row that changed since then has
  // another xmin when its update finally gets it, and is left. Every join is by primary key,
  // so a plan misled by the CTE's row estimate stays linear.
  const { rows } = await sql<{ id: string; previous: unknown; value: unknown; written: boolean }>`
    with v as (${valuesSql(attr.definition, scope)}),
    o as (
      select o.id, o.xmin, o.computed -> ${attr.name} as previous, v.value
      from v join contacts o on o.id = v.contact_id
      where (o.computed -> ${attr.name}) is distinct from v.value
    ), written as (
      update contacts c set computed = jsonb_set(c.computed, array[${attr.name}], o.value)
      from o where c.id = o.id and c.xmin = o.xmin
      returning c.id
    )
    select o.id, o.previous, o.value, w.id is not null as written from o left join written w on w.id = o.id`.execute(
    db,
  );
  const changes = rows
    .filter((r) => r.written)
    .map((r) => ({ contactId: r.id, attribute: attr.name, previous: r.previous ?? null, value: r.value }));
  const overtaken = rows.filter((r) => !r.written).map((r) => r.id);
  if (overtaken.length === 0) return changes;
  await lockContacts(db, overtaken);
  return [...changes, ...(await refreshValues(db, attr, { ...scope, contactIds: overtaken }))];
}

/**
 * What changed for the contacts, which decides the definitions worth recomputing: an event
 * of a name (definitions counting it, and filters), their profile (attributes, tags, lists,
 * consent: filters only), or anything (new contacts, merges: every definition).
 */
export type Change = { event: string } | 'profile' | 'any';

/** The workspace's definitions the change can move (never RFM: its quantiles span every contact). */
export async function definitionsOf(
  db: Kysely<Database>,
  workspaceId: string,
  change: Change,
): Promise<NamedDefinition[]> {
  const { rows } = await sql<NamedDefinition>`
    select name, definition from computed_attributes where workspace_id = ${workspaceId} order by name`.execute(db);
  // RFM quantiles span every contact: only the scheduled refresh changes them.
  const fit = rows.filter((r) => r.definition.kind !== 'rfm');
  if (change === 'any') return fit;
  return fit.filter(
    (r) =>
      r.definition.kind === 'filter' ||
      (change !== 'profile' && 'event' in r.definition && r.definition.event === change.event),
  );
}

/**
 * Brings the contacts' values up to date in the caller's transaction after `change` (only the
 * definitions it can move), and starts the `core.computed` runs the new values call for.
 * Answers how many runs it started, whose trigger steps the caller counts once its
 * transaction committed (`metrics.triggered(COMPUTED_TRIGGER, n)`).
 */
export async function refreshContacts(
  db: Kysely<Database>,
  workspaceId: string,
  contactIds: readonly string[],
  change: Change = 'any',
  /** By contact: the computed values of the contacts a merge just made it take in. */
  formerly?: ReadonlyMap<string, JsonObject>,
): Promise<number> {
  if (!contactIds.length) return 0;
  const defs = await definitionsOf(db, workspaceId, change);
  if (!defs.length) return 0;
  // The contacts first, in id order, and in a statement of its own: each value below is then
  // read after every concurrent writer of these contacts committed (a new snapshot a statement),
  // so two events stored at once cannot each count the other out and write the smaller value.
  await lockContacts(db, contactIds);
  const changes: ValueChange[] = [];
  const scope: Scope = { workspaceId, contactIds, now: new Date() };
  for (const d of inDependencyOrder(defs)) changes.push(...(await refreshValues(db, d, scope)));
  for (const c of changes) {
    const held = formerly?.get(c.contactId);
    if (held && c.attribute in held) c.formerly = [held[c.attribute]];
  }
  return fireComputedTriggers(db, workspaceId, changes);
}

/** True when a filter definition of the contacts' workspaces could move with their profile. */
export async function profilesComputed(db: Kysely<Database>, contactIds: readonly string[]): Promise<boolean> {
  const { rows } = await sql<{ any: boolean }>`
    select exists (select 1 from contacts c join computed_attributes a on a.workspace_id = c.workspace_id
      where c.id = any(${[...new Set(contactIds)]}::uuid[]) and a.definition ->> 'kind' = 'filter') as any`.execute(db);
  return rows[0]?.any === true;
}

/**
 * `refreshContacts` after a profile change (tags, lists) of contacts named by id only: finds
 * their workspaces (a merged-away id counts as its survivor, as the write did) in one query
 * that answers nothing where no filter definition could move.
 */
export async function refreshProfiles(db: Kysely<Database>, contactIds: readonly string[]): Promise<void> {
  if (!contactIds.length) return;
  const { rows } = await sql<{ workspace_id: string; ids: string[] }>`
    select c.workspace_id, array_agg(distinct coalesce(c.merged_into, c.id)) as ids from contacts c
    where c.id = any(${[...new Set(contactIds)]}::uuid[]) and exists (select 1 from computed_attributes a
      where a.workspace_id = c.workspace_id and a.definition ->> 'kind' = 'filter')
    group by c.workspace_id`.execute(db);
  // In id order, so two batched writes over the same contacts cannot deadlock on their values.
  const ids = rows.flatMap((r) => r.ids);
  if (ids.length > 1) await lockContacts(db, ids);
  for (const r of rows) await refreshContacts(db, r.workspace_id, r.ids, 'profile');
}
