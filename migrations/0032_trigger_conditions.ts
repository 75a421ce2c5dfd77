import { type Kysely, sql } from 'kysely';

// The row triggers of 0014 (a row's workspace from its owner) and 0024 (a merged-away
// contact's row goes to its survivor) returned at once for a row that names its workspace or
// no contact, but only after a PL/pgSQL call per row; a WHEN condition skips the call. With
// insertRuns naming each run's workspace, a broadcast's runs no longer call the first at all.
const OWNED = ['runs', 'events', 'messages', 'leads', 'email_suppressions'];
const CONTACT_ROWS = [
  'events',
  'messages',
  'runs',
  'leads',
  'waits',
  'contact_tags',
  'contact_lists',
  'consent_proofs',
  'run_conversions',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of OWNED) {
    await sql`drop trigger ${sql.id(`${table}_workspace`)} on ${sql.table(table)}`.execute(db);
    await sql`create trigger ${sql.id(`${table}_workspace`)} before insert on ${sql.table(table)}
      for each row when (new.workspace_id is null) execute function waymark_workspace_of_owner()`.execute(db);
  }
  for (const table of CONTACT_ROWS) {
    await sql`drop trigger a_contact_survivor on ${sql.table(table)}`.execute(db);
    await sql`create trigger a_contact_survivor before insert on ${sql.table(table)}
      for each row when (new.contact_id is not null) execute function waymark_contact_survivor()`.execute(db);
  }
}
