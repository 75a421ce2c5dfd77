import { ValidationError } from '@waymark/sdk';
import { type RawBuilder, sql } from 'kysely';
import { isUuid } from './ids.js';

/**
 * A keyset cursor of a list's last entry: the list's name and the entry's keys as text,
 * base64url, opaque to clients. The name keeps one list's cursor from paging another list
 * whose keys look alike (events, messages and runs are all ordered by a time and an id).
 */
export const encodeCursor = (list: string, keys: string): string =>
  Buffer.from(`${list}:${keys}`).toString('base64url');

/**
 * The keys of a cursor `list` gave out, read by `parse` (null: not keys of this list);
 * anything else, another list's cursor included, is a 400 at `/cursor`. A cursor holds the
 * keys themselves, not a row's id: it pages from its place even once its entry is deleted.
 *
 * @example
 * const id = decodeCursor('contacts', cursor, (text) => (isUuid(text) ? text : null));
 */
export function decodeCursor<T>(list: string, cursor: string, parse: (keys: string) => T | null): T {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const keys = text.startsWith(`${list}:`) ? parse(text.slice(list.length + 1)) : null;
  if (keys === null)
    throw new ValidationError('the cursor is not a nextCursor of this list', [
      { path: '/cursor', message: 'querystring/cursor is not a nextCursor of this list' },
    ]);
  return keys;
}

/** Where a list ordered by a time, then an id, left off: the time in microseconds since the epoch. */
export interface TimeIdKeys {
  us: string;
  id: string;
}

// Microseconds of a time PostgreSQL can hold (years 0–9999 are about ±2.6e17): a larger number
// is no cursor of ours, and would overflow a bigint or a timestamp.
const MAX_MICROSECONDS = 10n ** 18n;

/** `<microseconds>:<id>` of an entry (its `microseconds` column), for `encodeCursor`. */
const timeIdKeys = (keys: TimeIdKeys): string => `${keys.us}:${keys.id}`;

/** The keys `timeIdKeys` wrote, for `decodeCursor`; null for any other text. */
function parseTimeIdKeys(text: string): TimeIdKeys | null {
  const [us, id, ...rest] = text.split(':');
  if (!(us && id && rest.length === 0 && /^-?\d{1,19}$/.test(us) && isUuid(id))) return null;
  const magnitude = BigInt(us) < 0n ? -BigInt(us) : BigInt(us);
  return magnitude <= MAX_MICROSECONDS ? { us, id } : null;
}

/**
 * A timestamp column as microseconds since the epoch, as text: the whole of its precision (a
 * JavaScript Date keeps milliseconds, so a cursor made of one skipped rows a millisecond apart).
 */
export const microseconds = (column: string): RawBuilder<string> =>
  sql<string>`((extract(epoch from ${sql.ref(column)}) * 1000000)::bigint)::text`;

/** Rows after the cursor's entry in `<time> desc, id desc` order. */
const olderThan = (timeColumn: string, idColumn: string, at: TimeIdKeys): RawBuilder<boolean> =>
  sql<boolean>`(${sql.ref(timeColumn)}, ${sql.ref(idColumn)}) < (timestamptz 'epoch' + ${at.us}::bigint * interval '1 microsecond', ${at.id}::uuid)`;

/**
 * The condition of the rows after `cursor` of `list`, ordered by `timeColumn`, then `id`,
 * newest first: every row without a cursor. A cursor `list` did not give out is a 400.
 *
 * @example
 * sql`select … from events where workspace_id = ${ws} and ${pagesOn('events', cursor, 'timestamp')}`
 */
export const pagesOn = (list: string, cursor: string | undefined, timeColumn: string): RawBuilder<boolean> =>
  cursor ? olderThan(timeColumn, 'id', decodeCursor(list, cursor, parseTimeIdKeys)) : sql<boolean>`true`;

/**
 * The page of `rows` read with `limit + 1` (each with its time in microseconds, `us`, and its
 * `id`) and the cursor after its last row: null on the last page.
 */
export function timePage<T extends TimeIdKeys>(
  list: string,
  rows: readonly T[],
  limit: number,
): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { page, nextCursor: rows.length > limit && last ? encodeCursor(list, timeIdKeys(last)) : null };
}
