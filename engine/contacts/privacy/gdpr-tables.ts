import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';

/** True when a table exists (other parts' tables may not, in a partial install). */
export async function tableExists(db: Kysely<Database>, name: string): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`select to_regclass(${`public.${name}`}) is not null as ok`.execute(db);
  return rows[0]?.ok ?? false;
}

/** Every public table holding `column`, with the column's type (`uuid`, `text`, …). */
export async function tablesWithColumn(
  db: Kysely<Database>,
  column: string,
): Promise<{ table: string; type: string }[]> {
  const { rows } = await sql<{ table: string; type: string }>`
    select c.table_name as table, c.data_type as type from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and c.column_name = ${column} and t.table_type = 'BASE TABLE'
    order by 1`.execute(db);
  return rows;
}
