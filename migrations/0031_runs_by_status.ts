import { type Kysely, sql } from 'kysely';

// runs_by_status (0004) ordered every running and waiting run of the installation; since 0014
// every listing is a workspace's (runs_by_workspace), and every other query that names a live
// status names the runs too (by id, journey or contact). It served no query, and it misled
// the kernel's: with the statistics of a table analyzed before a broadcast (100 runs live),
// ending 100 runs read all 100,000 live ones through it (45 ms where 100 key lookups take
// one), and each step that ended or parked a run updated it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists runs_by_status`.execute(db);
}
