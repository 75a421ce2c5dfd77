import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { isoText } from '../db/iso-text.js';

/** Soft bounces in a row (the address's last sent emails) that count as a hard bounce. */
export const SOFT_BOUNCES_IN_A_ROW = 3;

interface BouncedMessage {
  id: string;
  contactId: string | null;
  to: string;
}

/**
 * Whether the address's last `SOFT_BOUNCES_IN_A_ROW` sent emails (since it was last declared
 * good) all bounced soft. A delivered email in between breaks the row.
 */
async function softRow(trx: Kysely<Database>, message: BouncedMessage, address: string): Promise<boolean> {
  const sameContact = message.contactId ? sql`contact_id = ${message.contactId}` : sql`contact_id is null`;
  const workspace = sql`(select workspace_id from messages where id = ${message.id})`;
  const { rows } = await sql<{ bounce: string | null }>`
    select bounce from messages
    where ${sameContact} and workspace_id = ${workspace} and channel = 'email' and status = 'sent'
      and lower("to") = ${address}
      and sent_at > coalesce((select max(cleared_at) from email_suppressions
                              where workspace_id = ${workspace} and lower(address) = ${address}),
                             '-infinity')
    order by sent_at desc, created_at desc
    limit ${SOFT_BOUNCES_IN_A_ROW}`.execute(trx);
  return rows.length === SOFT_BOUNCES_IN_A_ROW && rows.every((r) => r.bounce === 'soft');
}

/**
 * Stores a bounce on its message and, for a hard one (or the last of
 * `SOFT_BOUNCES_IN_A_ROW` soft ones), suppresses the address: later mail to it is suppressed
 * with reason `bounced`. Returns the bounce's effective kind. Inside the caller's transaction.
 */
export async function applyBounce(
  trx: Kysely<Database>,
  message: BouncedMessage,
  bounce: 'hard' | 'soft',
  status: string,
): Promise<'hard' | 'soft'> {
  await trx.updateTable('messages').set({ bounce }).where('id', '=', message.id).execute();
  const address = message.to.trim().toLowerCase();
  const kind = bounce === 'soft' && (await softRow(trx, message, address)) ? 'hard' : bounce;
  if (kind === 'hard') {
    await sql`
      insert into email_suppressions (address, contact_id, reason, message_id, status)
      select ${address}, ${message.contactId}, 'bounced', ${message.id}, ${status}
      where not exists (select 1 from email_suppressions where lower(address) = ${address} and cleared_at is null
        and workspace_id = (select workspace_id from messages where id = ${message.id}))`.execute(trx);
  }
  return kind;
}

/**
 * A contact write's `emailUndeliverable: null` (`POST /api/contacts`, an NDJSON import line):
 * declares each contact's email, as stored after the write, deliverable again — its suppression
 * ends, and soft bounces before now no longer count. Answers the contacts whose email was
 * suppressed.
 *
 * @example
 * await declareDeliverable(db, workspaceId, [contactId]) // Set { contactId }: mail to it goes out again
 */
export async function declareDeliverable(
  db: Kysely<Database>,
  workspaceId: string,
  contactIds: readonly string[],
): Promise<Set<string>> {
  if (contactIds.length === 0) return new Set();
  const { rows } = await sql<{ id: string }>`
    update email_suppressions s set cleared_at = now()
    from contacts c
    where c.id = any(${contactIds}::uuid[]) and c.workspace_id = ${workspaceId} and c.email is not null
      and s.workspace_id = ${workspaceId} and lower(s.address) = lower(c.email) and s.cleared_at is null
    returning c.id`.execute(db);
  return new Set(rows.map((r) => r.id));
}

/**
 * SQL for a contact's undeliverable address (`{ reason, status, at }` as JSON, or null), for
 * the contact's `emailUndeliverable` field; `email` is the contact's (lower-cased) email column.
 */
export function undeliverableJson(email: RawBuilder<unknown>, workspaceId: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`(select u.undeliverable from (${undeliverableRowsSql(sql`array[${email}]`)}) u
    where u.workspace_id = ${workspaceId})`;
}

/**
 * SQL for the undeliverable addresses among `addresses` (lower-cased emails, a text[]): one row
 * per workspace and address, `{ workspace_id, address, undeliverable }`, the JSON as
 * `undeliverableJson` gives it (the latest suppression not cleared), for many contacts at once.
 */
export function undeliverableRowsSql(addresses: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`select distinct on (s.workspace_id, lower(s.address)) s.workspace_id, lower(s.address) as address,
      json_build_object('reason', s.reason, 'status', s.status, 'at', ${isoText(sql`s.created_at`)}) as undeliverable
    from email_suppressions s
    where lower(s.address) = any(${addresses}) and s.cleared_at is null
    order by s.workspace_id, lower(s.address), s.created_at desc`;
}
