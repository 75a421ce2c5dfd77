/**
 * The query parameters of a paged list, one schema for every list so that each answers a bad
 * `limit` or `cursor` alike: 400 `validation_failed` naming `/limit` or `/cursor`.
 */

/** `limit`: 1 to `max` entries a page, `byDefault` when absent (each list's contract gives both). */
export const pageLimit = (max: number, byDefault: number) =>
  ({ type: 'integer', minimum: 1, maximum: max, default: byDefault }) as const;

/**
 * `cursor`: the previous page's `nextCursor` (`engine/db/cursor.ts`). Empty is refused, as an
 * empty filter is: a client that sends `?cursor=` has lost its cursor, and a first page in its
 * place would repeat rows. Cursors are under 120 characters; the bound stops a long one early.
 */
export const pageCursor = {
  type: 'string',
  minLength: 1,
  maxLength: 200,
  description: 'the nextCursor of the previous page',
} as const;
