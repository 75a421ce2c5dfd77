import { type JsonObject, ValidationError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { isTimeZone } from './normalize.js';

/**
 * Merges attributes key by key (a null value removes the key) and sets the time zone when
 * given; false when the contact is unknown.
 */
export async function updateContact(
  db: Kysely<Database>,
  contactId: string,
  patch: { attributes?: JsonObject; timezone?: string | null },
): Promise<boolean> {
  if (patch.timezone && !isTimeZone(patch.timezone))
    throw new ValidationError('timezone is not an IANA time zone name', [
      { path: '/timezone', message: 'unknown time zone' },
    ]);
  const timezone = patch.timezone === undefined ? sql`timezone` : sql`${patch.timezone}::text`;
  const { rows } = await sql<{ id: string }>`
    update contacts set timezone = ${timezone}, updated_at = now(),
      attributes = (select coalesce(jsonb_object_agg(key, value), '{}') from jsonb_each(attributes || ${JSON.stringify(patch.attributes ?? {})}::jsonb)
                    where value <> 'null'::jsonb)
    where id = ${contactId} returning id`.execute(db);
  return rows.length > 0;
}
