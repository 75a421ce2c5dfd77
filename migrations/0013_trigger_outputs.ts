import { type Kysely, sql } from 'kysely';

// The output each trigger of a version leaves by, fixed at publish from the node's
// definition (`triggerOutput`), so that starting a run needs no node registry. Versions
// published before carry none: their triggers leave by `out`, as every built-in one does.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table journey_versions add column trigger_outputs jsonb not null default '{}'::jsonb;
  `.execute(db);
}
