import { type Kysely, sql } from 'kysely';

// A row inserted for a merged-away contact goes to its survivor (0024). The trigger followed one
// step, locking only the contact named: an event for B, merged into A, took A while A was itself
// being merged into C; the insert then waited for that merge on A's key and landed on A once it
// had committed, a merged-away contact (identity.md: nothing is left on one). It now follows
// merged_into to the end, each contact locked before it is read, so a merge in progress on
// the way decides first, as it does for the contact named.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function waymark_contact_survivor() returns trigger language plpgsql as $$
      declare
        target uuid := new.contact_id;
        survivor uuid;
      begin
        if target is null then return new; end if;
        loop
          select merged_into into survivor from contacts where id = target for key share;
          exit when survivor is null;
          target := survivor;
        end loop;
        new.contact_id := target;
        return new;
      end $$
  `.execute(db);
}
