import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';

/** True when a table exists (other parts' tables may not, in a partial install). */
export async function tableExists(db: Kysely<Database>, name: string): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`select to_regclass(${`public.${name}`}) is not null as ok`.execute(db);
  return rows[0]?.ok ?? false;
}

/** Every public table holding `column`, as [table] names. */
export async function tablesWithColumn(db: Kysely<Database>, column: string): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select c.table_name from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and c.column_name = ${column} and t.table_type = 'BASE TABLE'
    order by 1`.execute(db);
  return rows.map((r) => r.table_name);
}

/** Rows of `table` whose `column` is one of `ids`, as JSON objects; [] when the table is missing. */
export async function rowsOf(db: Kysely<Database>, table: string, column: string, ids: readonly string[]) {
  if (!ids.length || !(await tableExists(db, table))) return [];
  const { rows } = await sql<{ row: Record<string, unknown> }>`
    select to_jsonb(t) as row from ${sql.table(table)} t where ${sql.ref(`t.${column}`)}::text = any(${ids as string[]}::text[])`.execute(
    db,
  );
  return rows.map((r) => r.row);
}

/** Every text, varchar and jsonb column of the public tables, for the erasure's final sweep. */
export async function textColumns(db: Kysely<Database>): Promise<{ table: string; column: string; type: string }[]> {
  const { rows } = await sql<{ table: string; column: string; type: string }>`
    select c.table_name as table, c.column_name as column, c.data_type as type
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
      and c.data_type in ('text', 'character varying', 'jsonb', 'json')
      and c.table_name not in ('erasures', 'kysely_migration', 'kysely_migration_lock')
    order by 1, 2`.execute(db);
  return rows;
}
