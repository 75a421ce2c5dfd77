import type { TagState } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { profilesComputed, refreshProfiles } from '../computed/refresh.js';
import { ASYNC_COMMIT } from '../db/commit-mode.js';
import type { Database } from '../db/database.js';
import { isoText } from '../db/iso-text.js';
import { inTransaction, type WithinChange } from '../db/transaction.js';
import { writeTarget } from './merge/survivor.js';

/** A tag's state as the write returns it, its times as ISO 8601 text (`isoText`). */
interface TagRow {
  tag: string;
  count: number;
  first_added_at: string;
  last_added_at: string;
  expires_at: string | null;
  active: boolean;
}

function toTagState(r: TagRow): TagState {
  return {
    tag: r.tag,
    count: r.count,
    firstAddedAt: r.first_added_at,
    lastAddedAt: r.last_added_at,
    expiresAt: r.expires_at,
    active: r.active,
  };
}

/**
 * Runs a tag or list write and, in the same transaction, brings the computed values it can
 * move (filter definitions) up to date for the contacts it wrote (contract identity.md).
 */
async function writeRefreshing<T>(
  db: Kysely<Database>,
  contactIds: readonly string[],
  write: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  const run = async (trx: Kysely<Database>) => {
    const out = await write(trx);
    await refreshProfiles(trx, contactIds);
    return out;
  };
  return inTransaction(db, run);
}

/** `writeRefreshing` for one contact's rows, written on its survivor when a merge took it meanwhile. */
function writeOne<T>(
  db: Kysely<Database>,
  contactId: string,
  write: (trx: Kysely<Database>, contactId: string) => Promise<T>,
): Promise<T> {
  return writeRefreshing(db, [contactId], async (trx) => write(trx, (await writeTarget(trx, contactId)) ?? contactId));
}

/** One tag added to one contact; `ttlSeconds` as `addTag` takes it. */
export interface TagAdd {
  contactId: string;
  tag: string;
  ttlSeconds?: number | null;
}

/**
 * Adds a tag: count + 1, last added now, reactivated. `ttlSeconds` undefined takes the tag's
 * default lifespan (`tags.ttl_seconds`), null means no expiry.
 *
 * @example
 * await addTag(db, contactId, 'vip', 3600) // { tag: 'vip', count: 1, active: true, … }
 */
export async function addTag(
  db: Kysely<Database>,
  contactId: string,
  tag: string,
  ttlSeconds?: number | null,
  /** Runs in the addition's transaction; without it a step's addition takes its fast path. */
  onAdded?: WithinChange,
): Promise<TagState> {
  const add = async (conn: Kysely<Database>) => {
    const [state] = await addTags(conn, [{ contactId, tag, ttlSeconds }]);
    if (!state) throw new Error('addTag: no row returned');
    await onAdded?.(conn);
    return state;
  };
  return onAdded ? inTransaction(db, add) : add(db);
}

/**
 * Many tag additions in ONE statement, each answered with its tag's state after all of them
 * (the same tag added twice to one contact counts twice; the last addition's lifespan wins).
 * An unknown contact fails the whole statement (foreign key violation).
 *
 * With `asyncCommit` it commits with synchronous_commit off (`ASYNC_COMMIT`): a step batch's,
 * which its job's synchronous completion follows.
 *
 * @example
 * await addTags(db, [{ contactId: a, tag: 'vip' }, { contactId: b, tag: 'vip', ttlSeconds: null }])
 */
export async function addTags(
  db: Kysely<Database>,
  adds: readonly TagAdd[],
  options: { asyncCommit?: boolean } = {},
): Promise<TagState[]> {
  if (adds.length === 0) return [];
  const contactIds = adds.map((a) => a.contactId);
  // The hot path of tag nodes: with no filter definition to keep current, the write goes alone
  // (a definition created in the instant between is caught up by its scheduled refresh).
  const write = (trx: Kysely<Database>) => writeTags(trx, adds, options.asyncCommit ?? false);
  const rows =
    db.isTransaction || (await profilesComputed(db, contactIds))
      ? await writeRefreshing(db, contactIds, write)
      : await write(db);
  return rows.map(toTagState);
}

/** The statement of `addTags`. */
async function writeTags(db: Kysely<Database>, adds: readonly TagAdd[], asyncCommit: boolean): Promise<TagRow[]> {
  const { rows } = await sql<TagRow & { n: string }>`
    with input as (
      select * from unnest(${adds.map((a) => a.contactId)}::uuid[], ${adds.map((a) => a.tag)}::text[],
        ${adds.map((a) => a.ttlSeconds ?? null)}::numeric[], ${adds.map((a) => a.ttlSeconds !== undefined)}::boolean[])
        with ordinality as i (contact_id, tag, ttl, ttl_given, n)
    ), target as (
      -- A contact merged away meanwhile is written as its survivor: the locking read waits for
      -- a merge of it in progress (which holds its row FOR UPDATE), then sees the result.
      select c.id, coalesce(c.merged_into, c.id) as contact_id, c.workspace_id
      from contacts c where c.id in (select contact_id from input)
      for key share
    ), resolved as (
      -- Each addition with the contact it lands on; an unknown contact is written as named
      -- (its foreign key fails the statement).
      select i.n, i.tag, i.ttl, i.ttl_given, coalesce(t.contact_id, i.contact_id) as contact_id, t.workspace_id
      from input i left join target t on t.id = i.contact_id
    ), merged as (
      select r.contact_id, r.tag, count(*)::int as times,
        (array_agg(case when r.ttl_given then r.ttl else (select d.ttl_seconds from tags d
          where d.workspace_id = r.workspace_id and d.tag = r.tag) end order by r.n desc))[1] as ttl
      from resolved r
      group by 1, 2
    ), written as (
      insert into contact_tags as t (contact_id, tag, count, first_added_at, last_added_at, expires_at, removed)
      select contact_id, tag, times, now(), now(), now() + ttl * interval '1 second', false from merged
      on conflict (contact_id, tag) do update set count = t.count + excluded.count,
        last_added_at = excluded.last_added_at, expires_at = excluded.expires_at, removed = false
      returning contact_id, tag, count, first_added_at, last_added_at, expires_at,
        (expires_at is null or expires_at > now()) as active
    )
    select i.n, w.tag, w.count, ${isoText(sql`w.first_added_at`)} as first_added_at,
      ${isoText(sql`w.last_added_at`)} as last_added_at, ${isoText(sql`w.expires_at`)} as expires_at, w.active
      ${asyncCommit ? sql`, (select ${ASYNC_COMMIT}) as mode` : sql``}
    from resolved i join written w on w.tag = i.tag and w.contact_id = i.contact_id
    order by i.n`.execute(db);
  return rows;
}

/** Turns a tag inactive; its count stays. */
export async function removeTag(
  db: Kysely<Database>,
  contactId: string,
  tag: string,
  onRemoved?: WithinChange,
): Promise<void> {
  await writeOne(db, contactId, async (trx, contactId) => {
    await trx
      .updateTable('contact_tags')
      .set({ removed: true })
      .where('contact_id', '=', contactId)
      .where('tag', '=', tag)
      .execute();
    await onRemoved?.(trx);
  });
}

/** Sets a tag's default lifespan (null: never expires); `onSet` runs in the same transaction. */
export async function setTagLifespan(
  db: Kysely<Database>,
  workspaceId: string,
  tag: string,
  ttlSeconds: number | null,
  onSet?: WithinChange,
): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx
      .insertInto('tags')
      .values({ workspace_id: workspaceId, tag, ttl_seconds: ttlSeconds })
      .onConflict((oc) => oc.columns(['workspace_id', 'tag']).doUpdateSet({ ttl_seconds: ttlSeconds }))
      .execute();
    await onSet?.(trx);
  });
}

export interface TagSummary {
  tag: string;
  ttlSeconds: number | null;
  activeContacts: number;
  contacts: number;
}

/** Every tag known (given a lifespan or added to someone), with how many contacts carry it. */
export async function listTags(db: Kysely<Database>, workspaceId: string): Promise<TagSummary[]> {
  const { rows } = await sql<TagSummary>`
    select coalesce(d.tag, u.tag) as tag, d.ttl_seconds as "ttlSeconds",
      coalesce(u.active, 0)::int as "activeContacts", coalesce(u.total, 0)::int as contacts
    from (select tag, ttl_seconds from tags where workspace_id = ${workspaceId}) d
    full join (
      select t.tag, count(*) as total,
        count(*) filter (where not t.removed and (t.expires_at is null or t.expires_at > now())) as active
      from contact_tags t join contacts c on c.id = t.contact_id
      where c.workspace_id = ${workspaceId} group by t.tag
    ) u on u.tag = d.tag
    order by 1`.execute(db);
  return rows;
}

/** Adds a contact to a static list; adding again keeps the first added date. */
export async function addToList(
  db: Kysely<Database>,
  contactId: string,
  list: string,
  onAdded?: WithinChange,
): Promise<{ list: string; addedAt: string }> {
  const rows = await writeOne(db, contactId, async (trx, contactId) => {
    await trx
      .insertInto('contact_lists')
      .values({ contact_id: contactId, list })
      .onConflict((oc) => oc.columns(['contact_id', 'list']).doNothing())
      .execute();
    const found = await sql<{ list: string; added_at: Date }>`
      select list, added_at from contact_lists where contact_id = ${contactId} and list = ${list}`.execute(trx);
    await onAdded?.(trx);
    return found.rows;
  });
  const row = rows[0];
  if (!row) throw new Error('addToList: the membership vanished');
  return { list: row.list, addedAt: row.added_at.toISOString() };
}

export async function removeFromList(
  db: Kysely<Database>,
  contactId: string,
  list: string,
  onRemoved?: WithinChange,
): Promise<void> {
  await writeOne(db, contactId, async (trx, contactId) => {
    await trx.deleteFrom('contact_lists').where('contact_id', '=', contactId).where('list', '=', list).execute();
    await onRemoved?.(trx);
  });
}

/** Every list with its member count. */
export async function listLists(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<{ list: string; members: number }[]> {
  const { rows } = await sql<{ list: string; members: number }>`
    select l.list, count(*)::int as members from contact_lists l join contacts c on c.id = l.contact_id
    where c.workspace_id = ${workspaceId} group by l.list order by l.list`.execute(db);
  return rows;
}
