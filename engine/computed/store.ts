import {
  type ErrorDetail,
  isDurationWithinBound,
  NotFoundError,
  parseDuration,
  ValidationError,
  WaymarkError,
} from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { isoText } from '../db/iso-text.js';
import type { WithinChange } from '../db/transaction.js';
import {
  computedNames,
  type Definition,
  dependencies,
  NAME_PATTERN,
  unknownComputed,
  validateDefinition,
} from './definition.js';
import { inDependencyOrder } from './refresh.js';
import { liveUsesOf } from './uses.js';

/**
 * Takes the workspace's computed-attribute lock for the transaction: definitions change under
 * it exclusively; a publish naming them, and the scheduled refresh of each, hold it shared, so
 * neither misses the other.
 */
export async function lockComputed(trx: Kysely<Database>, workspaceId: string, mode: 'exclusive' | 'shared') {
  const key = `computed:${workspaceId}`;
  if (mode === 'shared') await sql`select pg_advisory_xact_lock_shared(hashtext(${key}))`.execute(trx);
  else await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
}

export interface ComputedAttribute {
  name: string;
  definition: Definition;
  refreshEvery: string;
  description: string | null;
  status: 'computing' | 'ready';
  refreshedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ComputedInput {
  definition: unknown;
  refreshEvery?: string;
  description?: string | null;
}

const MIN_REFRESH_MS = 10_000;

const columns = sql`name, definition, refresh_every as "refreshEvery", description, status,
  ${isoText(sql`refreshed_at`)} as "refreshedAt",
  ${isoText(sql`created_at`)} as "createdAt",
  ${isoText(sql`updated_at`)} as "updatedAt"`;

/** Every computed attribute of the workspace, by name. */
export async function listComputed(db: Kysely<Database>, workspaceId: string): Promise<ComputedAttribute[]> {
  const { rows } = await sql<ComputedAttribute>`
    select ${columns} from computed_attributes where workspace_id = ${workspaceId} order by name`.execute(db);
  return rows;
}

/** One computed attribute; 404 when unknown. */
export async function getComputed(db: Kysely<Database>, workspaceId: string, name: string): Promise<ComputedAttribute> {
  const { rows } = await sql<ComputedAttribute>`
    select ${columns} from computed_attributes where workspace_id = ${workspaceId} and name = ${name}`.execute(db);
  if (!rows[0]) throw new NotFoundError(`no computed attribute ${name}`);
  return rows[0];
}

/** Why the input cannot be stored, each problem at its JSON pointer. */
function problemsOf(
  name: string,
  input: ComputedInput,
  others: { name: string; definition: Definition }[],
): ErrorDetail[] {
  if (!NAME_PATTERN.test(name)) return [{ path: '/name', message: 'name must match ^[A-Za-z][A-Za-z0-9_]{0,63}$' }];
  const known = new Set([...others.map((o) => o.name), name]);
  const problems = validateDefinition(input.definition, (n) => known.has(n));
  const every = input.refreshEvery;
  // Past the bound, `refreshed_at + refresh_every` is past the times PostgreSQL stores: the one
  // query that finds what is due failed, and no computed attribute of any workspace refreshed.
  const everyMs = typeof every === 'string' ? parseDuration(every) : null;
  if (every !== undefined && ((everyMs ?? 0) < MIN_REFRESH_MS || !isDurationWithinBound(everyMs)))
    problems.push({
      path: '/refreshEvery',
      message: 'refreshEvery must be an ISO 8601 duration of at least PT10S and at most 1000 years',
    });
  if (problems.length) return problems;
  const all = [...others.filter((o) => o.name !== name), { name, definition: input.definition as Definition }];
  const ordered = inDependencyOrder(all);
  const position = new Map(ordered.map((d, i) => [d.name, i]));
  const cyclic = all.some((d) =>
    dependencies(d.definition).some((dep) => (position.get(dep) ?? -1) >= (position.get(d.name) ?? 0)),
  );
  return cyclic ? [{ path: '/definition', message: 'the computed attributes name each other in a cycle' }] : [];
}

/**
 * Creates or replaces a computed attribute; a new or changed definition turns `computing`
 * until the background refresh (`refreshDue`) finishes. Answers it and whether it is new.
 */
export async function putComputed(
  db: Kysely<Database>,
  workspaceId: string,
  name: string,
  input: ComputedInput,
  /** Runs in the same transaction once it is stored, with whether it is new. */
  onSaved?: WithinChange<boolean>,
): Promise<{ attribute: ComputedAttribute; created: boolean }> {
  return db.transaction().execute(async (trx) => {
    await lockComputed(trx, workspaceId, 'exclusive');
    const { rows: others } = await sql<{ name: string; definition: Definition }>`
      select name, definition from computed_attributes where workspace_id = ${workspaceId}`.execute(trx);
    const problems = problemsOf(name, input, others);
    if (problems.length) throw new ValidationError('the computed attribute is invalid', problems);
    const { rows } = await sql<{ created: boolean }>`
      insert into computed_attributes (workspace_id, name, definition, refresh_every, description)
      values (${workspaceId}, ${name}, ${JSON.stringify(input.definition)}::jsonb, ${input.refreshEvery ?? 'PT1H'},
        ${input.description ?? null})
      on conflict (workspace_id, name) do update set definition = excluded.definition,
        refresh_every = excluded.refresh_every, description = excluded.description, updated_at = now(),
        status = case when computed_attributes.definition = excluded.definition then computed_attributes.status
          else 'computing' end
      returning (xmax = 0) as created`.execute(trx);
    const created = rows[0]?.created ?? false;
    await onSaved?.(trx, created);
    return { attribute: await getComputed(trx, workspaceId, name), created };
  });
}

/** Deletes a computed attribute and its values; 409 while a live journey or another definition names it. */
export async function deleteComputed(
  db: Kysely<Database>,
  workspaceId: string,
  name: string,
  onDeleted?: WithinChange,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockComputed(trx, workspaceId, 'exclusive');
    await getComputed(trx, workspaceId, name);
    const { rows: others } = await sql<{ name: string; definition: Definition }>`
      select name, definition from computed_attributes where workspace_id = ${workspaceId} and name <> ${name}`.execute(
      trx,
    );
    const uses: ErrorDetail[] = [
      ...others
        .filter((o) => dependencies(o.definition).includes(name))
        .map((o) => ({
          path: `/computedAttributes/${o.name}`,
          message: `computed attribute ${o.name} names it`,
        })),
      ...(await liveUsesOf(trx, workspaceId, name)),
    ];
    if (uses.length) throw new WaymarkError('conflict', `computed attribute ${name} is in use`, uses);
    await sql`delete from computed_attributes where workspace_id = ${workspaceId} and name = ${name}`.execute(trx);
    await sql`update contacts set computed = computed - ${name}
      where workspace_id = ${workspaceId} and computed ? ${name}`.execute(trx);
    await onDeleted?.(trx);
  });
}

/** 400 at each `computed` clause of a segment filter that names no computed attribute of the workspace. */
export async function mustNameComputed(db: Kysely<Database>, workspaceId: string, filter: unknown): Promise<void> {
  if (!computedNames(filter).length) return;
  const known = new Set((await listComputed(db, workspaceId)).map((a) => a.name));
  const problems = unknownComputed(filter, '', (name) => known.has(name));
  if (problems.length) throw new ValidationError('the segment names an unknown computed attribute', problems);
}
