import { type Kysely, sql } from 'kysely';

// A merge moves the merged-away contact's split units onto the survivor and an unmerge moves
// them back (engine/contacts/merge/units.ts): both read a contact's units by `unit` alone,
// which the primary key (journey, node, unit) cannot serve, so each merge read every unit.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index split_units_by_unit on split_units (unit)`.execute(db);
}
