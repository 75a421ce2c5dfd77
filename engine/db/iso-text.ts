import { type RawBuilder, sql } from 'kysely';

/**
 * A timestamptz as the text `Date.prototype.toISOString` gives (UTC, milliseconds), made by
 * PostgreSQL: a row read for JSON needs no Date parsed and formatted again.
 *
 * @example
 * sql`select ${isoText(sql`c.created_at`)} as created_at from contacts c`
 */
export function isoText(timestamp: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`to_char(${timestamp} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
