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

/**
 * Recomputes one attribute for the contacts in scope, set-based, writing only values that
 * changed; answers the changes.
 */
export async function refreshValues(db: Kysely<Database>, attr: NamedDefinition, scope: Scope): Promise<ValueChange[]> {
  const { rows } = await sql<{ id: string; previous: unknown; value: unknown }>`
    with v as (${valuesSql(attr.definition, scope)}),
    old as (select c.id, c.computed -> ${attr.name} as previous from contacts c join v on v.contact_id = c.id)
    update contacts c set computed = jsonb_set(c.computed, array[${attr.name}], v.value)
    from v join old on old.id = v.contact_id
    where c.id = v.contact_id and (c.computed -> ${attr.name}) is distinct from v.value
    returning c.id, old.previous, v.value`.execute(db);
  return rows.map((r) => ({ contactId: r.id, attribute: attr.name, previous: r.previous ?? null, value: r.value }));
}

/** The workspace's definitions, or those an event named `eventName` can change. */
async function definitionsOf(
  db: Kysely<Database>,
  workspaceId: string,
  eventName?: string,
): Promise<NamedDefinition[]> {
  const { rows } = await sql<NamedDefinition>`
    select name, definition from computed_attributes where workspace_id = ${workspaceId} order by name`.execute(db);
  // RFM quantiles span every contact: only the scheduled refresh changes them.
  const fit = rows.filter((r) => r.definition.kind !== 'rfm');
  return eventName === undefined
    ? fit
    : fit.filter(
        (r) => r.definition.kind === 'filter' || ('event' in r.definition && r.definition.event === eventName),
      );
}

/**
 * Brings the contacts' values up to date in the caller's transaction: after an event of
 * `eventName` was stored for them (only definitions it can change), or after any other change
 * of them (all definitions but RFM). Answers the changes.
 */
export async function refreshContacts(
  db: Kysely<Database>,
  workspaceId: string,
  contactIds: readonly string[],
  eventName?: string,
): Promise<ValueChange[]> {
  if (!contactIds.length) return [];
  const defs = await definitionsOf(db, workspaceId, eventName);
  const changes: ValueChange[] = [];
  const scope: Scope = { workspaceId, contactIds, now: new Date() };
  for (const d of inDependencyOrder(defs)) changes.push(...(await refreshValues(db, d, scope)));
  await fireComputedTriggers(db, workspaceId, changes);
  return changes;
}
