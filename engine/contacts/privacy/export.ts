import { NotFoundError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { loadContact } from '../load.js';
import { rowsOf, tableExists } from './gdpr-tables.js';

export interface ContactExport {
  contact: NonNullable<Awaited<ReturnType<typeof loadContact>>>;
  events: Record<string, unknown>[];
  tags: Record<string, unknown>[];
  lists: Record<string, unknown>[];
  messages: Record<string, unknown>[];
  runs: Record<string, unknown>[];
  leads: Record<string, unknown>[];
  /** Consents given through forms with their proof, oldest first: `{ channel, status, …proof }`. */
  consents: Record<string, unknown>[];
}

/**
 * Everything stored about a contact (GDPR access): the contact, its events (tracking ones
 * included), tags, lists, messages, runs with their steps, leads, and form consents' proofs.
 */
export async function exportContact(
  db: Kysely<Database>,
  workspaceId: string,
  contactId: string,
): Promise<ContactExport> {
  const contact = await loadContact(db, workspaceId, contactId);
  if (!contact) throw new NotFoundError(`no contact ${contactId}`);
  const ids = [contactId];
  const events = (
    await sql<{ row: Record<string, unknown> }>`
      select jsonb_build_object('id', id, 'name', name, 'properties', properties, 'timestamp', timestamp) as row
      from events where contact_id = ${contactId} order by timestamp, id`.execute(db)
  ).rows.map((r) => r.row);
  let runs: Record<string, unknown>[] = [];
  if (await tableExists(db, 'runs')) {
    const withSteps = await tableExists(db, 'steps');
    const steps = withSteps
      ? sql`(select coalesce(jsonb_agg(to_jsonb(s) order by s.seq), '[]') from steps s where s.run_id = r.id)`
      : sql`'[]'::jsonb`;
    runs = (
      await sql<{ row: Record<string, unknown> }>`
        select to_jsonb(r) || jsonb_build_object('steps', ${steps}) as row
        from runs r where r.contact_id = ${contactId} order by r.started_at`.execute(db)
    ).rows.map((r) => r.row);
  }
  return {
    contact,
    events,
    tags: contact.tags as unknown as Record<string, unknown>[],
    lists: contact.lists as unknown as Record<string, unknown>[],
    messages: await rowsOf(db, 'messages', 'contact_id', ids),
    runs,
    leads: await rowsOf(db, 'leads', 'contact_id', ids),
    consents: (
      await sql<{ row: Record<string, unknown> }>`
        select jsonb_build_object('channel', channel, 'status', status) || proof as row
        from consent_proofs where contact_id = ${contactId} order by created_at, id`.execute(db)
    ).rows.map((r) => r.row),
  };
}
