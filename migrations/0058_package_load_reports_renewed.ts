import { type Kysely, sql } from 'kysely';

// A process's report that it could not load an installed version (node_package_load_errors) is
// listed while that process runs (contract packages.md): the process renews its reports with
// its package resync, every 5 s, and removes them when it stops. `seen_at` is the last renewal;
// a report not renewed for 30 s is of a process that died without stopping.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table node_package_load_errors add column seen_at timestamptz not null default now()`.execute(db);
}
