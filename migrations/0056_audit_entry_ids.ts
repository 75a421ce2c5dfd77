import { type Kysely, sql } from 'kysely';

// An audit entry's id is a UUID, as every id of the API is; it was the bigint identity that
// orders the log, shown as a string. That sequence stays, renamed `seq`, as the key the log is
// ordered and paged by (with its index); `id` is a new column, filled for the existing rows as
// the column is added (a volatile default is evaluated per row, in a rewrite the append-only
// trigger does not see).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table audit_log rename column id to seq;
    alter table audit_log add column id uuid not null unique default waymark_uuid7();
  `.execute(db);
}
