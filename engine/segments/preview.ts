import type { Contact, Filter } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { loadContacts } from '../contacts/load.js';
import { decodeCursor, encodeCursor } from '../db/cursor.js';
import type { Database } from '../db/database.js';
import { isUuid } from '../db/ids.js';
import { compileFilter, LIVE_CONTACT } from './compile.js';

export interface ContactPage {
  contacts: Contact[];
  total: number;
  nextCursor: string | null;
}

/**
 * One page of the contacts matching a filter (all live contacts without one), in id order, and
 * how many match in all. Following `nextCursor` visits every match exactly once.
 *
 * @example
 * const page = await findContacts(db, workspaceId, { tag: 'vip', op: 'has' }, { limit: 50 });
 */
export async function findContacts(
  db: Kysely<Database>,
  workspaceId: string,
  filter: Filter | null,
  options: { limit: number; cursor?: string; now?: Date },
): Promise<ContactPage> {
  // Without a filter, all contacts but the merged-away ones (their survivor stands for them).
  const matches = filter ? compileFilter(filter, { now: options.now ?? new Date() }) : LIVE_CONTACT;
  const where = sql<boolean>`c.workspace_id = ${workspaceId} and ${matches}`;
  const after = options.cursor
    ? sql`and c.id > ${decodeCursor('contacts', options.cursor, (id) => (isUuid(id) ? id : null))}::uuid`
    : sql``;
  const [page, count] = await Promise.all([
    sql<{
      id: string;
    }>`select c.id from contacts c where ${where} ${after} order by c.id limit ${options.limit + 1}`.execute(db),
    sql<{ total: number }>`select count(*)::int as total from contacts c where ${where}`.execute(db),
  ]);
  const ids = page.rows.slice(0, options.limit).map((r) => r.id);
  const last = ids[ids.length - 1];
  return {
    contacts: await loadContacts(db, workspaceId, ids),
    total: count.rows[0]?.total ?? 0,
    nextCursor: page.rows.length > options.limit && last ? encodeCursor('contacts', last) : null,
  };
}
