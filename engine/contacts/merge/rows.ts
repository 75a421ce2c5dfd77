import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { ListRow, SegmentRow, TagRow } from './state.js';

/** Tables a merge treats by their meaning, not by moving their rows as they are. */
const UNITED = new Set(['contacts', 'contact_tags', 'contact_lists', 'segment_members']);

/** Per table, the primary keys of the rows a merge moved: `{ events: [ids], runs: [ids] }`. */
export type MovedRows = Record<string, string[]>;

/** Every table whose rows belong to one contact by `contact_id`, with its one-column key. */
async function ownedTables(trx: Kysely<Database>): Promise<{ table: string; key: string }[]> {
  const { rows } = await sql<{ table: string; key: string }>`
    select c.relname as table, a.attname as key
    from pg_attribute ca
    join pg_class c on c.oid = ca.attrelid and c.relkind = 'r'
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
    join pg_index i on i.indrelid = c.oid and i.indisprimary and i.indnatts = 1
    join pg_attribute a on a.attrelid = c.oid and a.attnum = i.indkey[0]
    where ca.attname = 'contact_id' and not ca.attisdropped and format_type(ca.atttypid, ca.atttypmod) = 'uuid'
    order by 1`.execute(trx);
  return rows.filter((r) => !UNITED.has(r.table));
}

/**
 * Moves every row of `fromId` onto `toId` in each owned table (events, messages, runs, leads,
 * waits, …) and answers which moved. A once-at-a-time run that would collide with one of the
 * survivor's in the same journey goes on without its re-entry lock.
 */
export async function moveRows(trx: Kysely<Database>, fromId: string, toId: string): Promise<MovedRows> {
  const moved: MovedRows = {};
  for (const { table, key } of await ownedTables(trx)) {
    const extra =
      table === 'runs'
        ? sql`, reentry_lock = case when exists (select 1 from runs o where o.contact_id = ${toId}
            and o.journey_id = t.journey_id and o.reentry_lock = t.reentry_lock) then null else t.reentry_lock end`
        : sql``;
    const { rows } = await sql<{ keys: string[] }>`
      with m as (
        update ${sql.table(table)} t set contact_id = ${toId} ${extra}
        where t.contact_id = ${fromId} returning ${sql.ref(`t.${key}`)}::text as k)
      select coalesce(array_agg(k), '{}') as keys from m`.execute(trx);
    const keys = rows[0]?.keys ?? [];
    if (keys.length) moved[table] = keys;
  }
  return moved;
}

/**
 * Puts the rows `moveRows` moved back onto `toId`, where they are still `fromId`'s. (A run
 * that lost its re-entry lock in the merge goes back without it: the re-entry rule reads the
 * contact's runs, the lock only settles a race of two entries.)
 */
export async function moveRowsBack(
  trx: Kysely<Database>,
  moved: MovedRows,
  fromId: string,
  toId: string,
): Promise<void> {
  for (const { table, key } of await ownedTables(trx)) {
    const keys = moved[table];
    if (!keys?.length) continue;
    await sql`
      update ${sql.table(table)} set contact_id = ${toId}
      where contact_id = ${fromId} and ${sql.ref(key)}::text = any(${keys}::text[])`.execute(trx);
  }
}

/**
 * Gives `toId`'s runs back the waits they made on `fromId` while they were its (a run the merge
 * moved that went on to a later `core.wait-for-event`): a run waits for its own contact's
 * events, so the restored contact's run does not wake on the survivor's.
 */
export async function returnRunWaits(trx: Kysely<Database>, fromId: string, toId: string): Promise<void> {
  await sql`
    update waits w set contact_id = ${toId}
    from runs r where r.id = w.run_id and w.contact_id = ${fromId} and r.contact_id = ${toId}`.execute(trx);
}

/**
 * Unites the tags, lists and segment memberships of `fromId` into `toId` and removes them
 * from `fromId`: counts add up, first dates take the earlier, last dates and expiries the later
 * (no expiry is the latest), a tag stays active when either was; a list keeps the earlier date.
 */
export async function uniteMemberships(trx: Kysely<Database>, fromId: string, toId: string): Promise<void> {
  await sql`
    insert into contact_tags as t (contact_id, tag, count, first_added_at, last_added_at, expires_at, removed)
    select ${toId}::uuid, tag, count, first_added_at, last_added_at, expires_at, removed
    from contact_tags where contact_id = ${fromId}
    on conflict (contact_id, tag) do update set
      count = t.count + excluded.count,
      first_added_at = least(t.first_added_at, excluded.first_added_at),
      last_added_at = greatest(t.last_added_at, excluded.last_added_at),
      expires_at = case when t.expires_at is null or excluded.expires_at is null then null
        else greatest(t.expires_at, excluded.expires_at) end,
      removed = not ((not t.removed and (t.expires_at is null or t.expires_at > now()))
        or (not excluded.removed and (excluded.expires_at is null or excluded.expires_at > now())))`.execute(trx);
  await sql`
    insert into contact_lists as l (contact_id, list, added_at)
    select ${toId}::uuid, list, added_at from contact_lists where contact_id = ${fromId}
    on conflict (contact_id, list) do update set added_at = least(l.added_at, excluded.added_at)`.execute(trx);
  // The person stays in the segments either was in, so neither enters them again.
  await sql`
    insert into segment_members (journey_id, node_id, contact_id)
    select journey_id, node_id, ${toId}::uuid from segment_members where contact_id = ${fromId}
    on conflict do nothing`.execute(trx);
  await sql`delete from contact_tags where contact_id = ${fromId}`.execute(trx);
  await sql`delete from contact_lists where contact_id = ${fromId}`.execute(trx);
  await sql`delete from segment_members where contact_id = ${fromId}`.execute(trx);
}

/** Replaces the contact's tags, lists and segment memberships with the given rows. */
export async function writeMemberships(
  trx: Kysely<Database>,
  contactId: string,
  rows: { tags: readonly TagRow[]; lists: readonly ListRow[]; segments: readonly SegmentRow[] },
): Promise<void> {
  const { tags, lists, segments } = rows;
  await sql`delete from contact_tags where contact_id = ${contactId}`.execute(trx);
  await sql`delete from contact_lists where contact_id = ${contactId}`.execute(trx);
  await sql`delete from segment_members where contact_id = ${contactId}`.execute(trx);
  if (tags.length)
    await sql`
      insert into contact_tags (contact_id, tag, count, first_added_at, last_added_at, expires_at, removed)
      select ${contactId}::uuid, tag, count, first_added_at, last_added_at, expires_at, removed
      from jsonb_to_recordset(${JSON.stringify(tags)}::jsonb) as x(tag text, count int,
        first_added_at timestamptz, last_added_at timestamptz, expires_at timestamptz, removed boolean)`.execute(trx);
  if (lists.length)
    await sql`
      insert into contact_lists (contact_id, list, added_at)
      select ${contactId}::uuid, list, added_at
      from jsonb_to_recordset(${JSON.stringify(lists)}::jsonb) as x(list text, added_at timestamptz)`.execute(trx);
  if (segments.length)
    await sql`
      insert into segment_members (journey_id, node_id, contact_id)
      select x.journey_id, x.node_id, ${contactId}::uuid
      from jsonb_to_recordset(${JSON.stringify(segments)}::jsonb) as x(journey_id uuid, node_id text)`.execute(trx);
}
