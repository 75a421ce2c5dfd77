import { type Kysely, sql } from 'kysely';
import type { Database } from './database.js';
import { inTransaction, type WithinChange } from './transaction.js';

/**
 * A workspace's setting stored under `key` (a JSON value), or undefined when never set.
 *
 * @example
 * const rules = (await loadSetting<ContactRules>(db, workspaceId, 'contact-rules')) ?? {};
 */
export async function loadSetting<T>(db: Kysely<Database>, workspaceId: string, key: string): Promise<T | undefined> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('workspace_id', '=', workspaceId)
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value as T | undefined;
}

/**
 * Replaces a workspace's setting stored under `key`; returns the value. `onSaved` runs in the
 * same transaction, the setting's row locked.
 *
 * @example
 * await saveSetting(db, workspaceId, 'retention', { events: 'P1Y' });
 */
export async function saveSetting<T>(
  db: Kysely<Database>,
  workspaceId: string,
  key: string,
  value: T,
  onSaved?: WithinChange,
): Promise<T> {
  await inTransaction(db, async (trx) => {
    await sql`
      insert into settings (workspace_id, key, value, updated_at)
      values (${workspaceId}, ${key}, ${JSON.stringify(value)}::jsonb, now())
      on conflict (workspace_id, key) do update set value = excluded.value, updated_at = now()`.execute(trx);
    await onSaved?.(trx);
  });
  return value;
}
