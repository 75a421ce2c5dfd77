import { type Kysely, sql } from 'kysely';

// Rows had random (v4) ids: every insert went to a random leaf of each index on an id, and a
// batch's steps lay on as many heap pages as it had steps (100 on 84 in a broadcast's drain);
// index inserts were a fifth of the machine's CPU in a 100k broadcast. Time-ordered ids
// (RFC 9562 version 7: 48 bits of Unix milliseconds, then 74 random bits) put new entries at
// the right edge of runs_pkey, steps_pkey, steps_of_run, steps_once and the like, and the
// rows made together on the same few pages. The engine makes the same in Node (uuid's v7).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function waymark_uuid7() returns uuid language sql volatile parallel safe as $$
      select encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
        from 1 for 6), 52, 1), 53, 1), 'hex')::uuid
    $$;
    alter table runs alter column id set default waymark_uuid7();
    alter table steps alter column id set default waymark_uuid7();
    alter table waits alter column id set default waymark_uuid7();
    alter table contacts alter column id set default waymark_uuid7();
    alter table events alter column id set default waymark_uuid7();
    alter table messages alter column id set default waymark_uuid7();
  `.execute(db);
}
