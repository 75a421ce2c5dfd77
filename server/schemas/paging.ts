/**
 * The query parameters of a paged list, one schema for every list so that each answers a bad
 * `limit` or `cursor` alike: 400 `validation_failed` naming `/limit` or `/cursor`.
 */

/** `limit`: 1 to `max` entries a page, `byDefault` when absent (each list's contract gives both). */
export const pageLimit = (max: number, byDefault: number) =>
  ({ type: 'integer', minimum: 1, maximum: max, default: byDefault }) as const;

/**
 * `cursor`: the previous page's `nextCursor` (`engine/db/cursor.ts`). Empty is the first page,
 * as absent: the contract's URL templates write `cursor=`, and a client filling them in sends
 * it so for its first page. Cursors are under 120 characters; the bound stops a long one early.
 */
export const pageCursor = {
  type: 'string',
  maxLength: 200,
  description: 'the nextCursor of the previous page',
} as const;
