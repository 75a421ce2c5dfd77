import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/database.js';

/**
 * Drops the range partitions of `table` whose upper bound is at or before `cutoff`: all their
 * rows are older than it, and dropping a partition costs no scan, no dead tuples and no vacuum.
 * With `keepWhile`, a partition holding a row it is true of is kept whole (its other rows are
 * left to the batched deletes). A table that is not partitioned has none. Returns the
 * partitions dropped.
 *
 * @example
 * await dropPartitionsBefore(db, 'messages', cutoff, { keepWhile: sql`status = 'queued'` });
 */
export async function dropPartitionsBefore(
  db: Kysely<Database>,
  table: string,
  cutoff: Date,
  { keepWhile }: { keepWhile?: RawBuilder<boolean> } = {},
): Promise<string[]> {
  const { rows } = await sql<{ name: string; bound: string }>`
    select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    join pg_class p on p.oid = i.inhparent
    where p.relname = ${table} and p.relnamespace = current_schema()::regnamespace
  `.execute(db);
  const dropped: string[] = [];
  for (const { name, bound } of rows) {
    // `FOR VALUES FROM ('…') TO ('…')`; a DEFAULT partition or MAXVALUE bound is never dropped.
    const upper = /\bTO \('([^']+)'\)/.exec(bound)?.[1];
    const end = upper ? new Date(upper) : null;
    if (!end || Number.isNaN(end.getTime()) || end > cutoff) continue;
    if (keepWhile && (await holdsAny(db, name, keepWhile))) continue;
    await sql`drop table ${sql.id(name)}`.execute(db);
    dropped.push(name);
  }
  return dropped;
}

async function holdsAny(db: Kysely<Database>, partition: string, where: RawBuilder<boolean>): Promise<boolean> {
  const { rows } = await sql`select 1 from ${sql.id(partition)} where ${where} limit 1`.execute(db);
  return rows.length > 0;
}
