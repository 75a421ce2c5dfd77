import { type Kysely, sql } from 'kysely';

// The worker analyzes steps and runs as they grow (engine/db/statistics.ts), autovacuum too.
// Their JSON columns were most of that work (each sampled value compared and sorted as jsonb
// for its most common values and histogram: analyze steps 204-359 ms on the 150,000 steps of
// a 30,000-contact journey, 150-189 ms without them; runs 70-79 ms, 46-47) and no plan reads
// their statistics: they are only ever read by key, or tested against null beside a key.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table steps
      alter column output set statistics 0,
      alter column error set statistics 0,
      alter column resume set statistics 0,
      alter column outputs_taken set statistics 0;
    alter table runs
      alter column trigger set statistics 0,
      alter column trace_context set statistics 0,
      alter column failure set statistics 0;
  `.execute(db);
}
