import { NotFoundError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { inTransaction, type WithinChange } from '../db/transaction.js';
import { checkContentId } from './templates.js';

const iso = (d: unknown) => new Date(d as Date).toISOString();

/** Every stored snippet by name: what `{% render %}` finds at this moment. */
export async function loadSnippets(db: Kysely<Database>, workspaceId: string): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('snippets')
    .select(['name', 'body'])
    .where('workspace_id', '=', workspaceId)
    .execute();
  return new Map(rows.map((r) => [r.name, r.body]));
}

/** Stores a snippet; `onSaved` runs in the same transaction with whether it was made. */
export async function putSnippet(
  db: Kysely<Database>,
  workspaceId: string,
  name: string,
  body: string,
  onSaved?: WithinChange<boolean>,
) {
  checkContentId(name, 'snippet name');
  const row = await inTransaction(db, async (trx) => {
    const saved = await trx
      .insertInto('snippets')
      .values({ workspace_id: workspaceId, name, body })
      .onConflict((oc) => oc.columns(['workspace_id', 'name']).doUpdateSet({ body, updated_at: sql`now()` }))
      .returning(['name', 'body', 'updated_at', sql<boolean>`xmax = 0`.as('created')])
      .executeTakeFirstOrThrow();
    await onSaved?.(trx, saved.created);
    return saved;
  });
  return { created: row.created, snippet: { name: row.name, body: row.body, updatedAt: iso(row.updated_at) } };
}

export async function listSnippets(db: Kysely<Database>, workspaceId: string) {
  const rows = await db
    .selectFrom('snippets')
    .select(['name', 'updated_at'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('name')
    .execute();
  return rows.map((r) => ({ name: r.name, updatedAt: iso(r.updated_at) }));
}

export async function getSnippet(db: Kysely<Database>, workspaceId: string, name: string) {
  const row = await db
    .selectFrom('snippets')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`no snippet ${name}`);
  return { name: row.name, body: row.body, updatedAt: iso(row.updated_at) };
}

export async function deleteSnippet(
  db: Kysely<Database>,
  workspaceId: string,
  name: string,
  onDeleted?: WithinChange,
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const deleted = await trx
      .deleteFrom('snippets')
      .where('workspace_id', '=', workspaceId)
      .where('name', '=', name)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) throw new NotFoundError(`no snippet ${name}`);
    await onDeleted?.(trx);
  });
}
