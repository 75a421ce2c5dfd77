import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { MessagesTable } from '../../db/tables/messages.js';
import type { messageRow } from './send-prepare.js';

/** A group's message row: what the rules decided, and what its hand-over marked (or nothing). */
export type GroupRow = Omit<ReturnType<typeof messageRow>, 'status' | 'error' | 'delayed_until'> & {
  status: MessagesTable['status'];
  error: string | null;
  delayed_until: Date | null;
  sent_at: Date | null;
  provider_id: string | null;
  rate_slot_at: Date | null;
};

/**
 * Stores a group's message rows, whatever their number, in one statement of one parameter: one
 * text, prepared once per connection. As a multi-row VALUES it was a text per group size with
 * 27 parameters a row (800 for 30 messages), built, bound and planned anew at each size.
 * A row another attempt of its step stored meanwhile stays as it was.
 */
export async function insertGroupRows(db: Kysely<Database>, rows: readonly GroupRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    insert into messages (id, workspace_id, idempotency_key, run_id, journey_id, node_id, contact_id, channel,
      category, subscription, "to", "from", reply_to, subject, html, "text", headers, links, credential_id,
      status, reason, delayed_until, error, created_at, sent_at, provider_id, rate_slot_at)
    select id, workspace_id, idempotency_key, run_id, journey_id, node_id, contact_id, channel,
      category, subscription, "to", "from", reply_to, subject, html, "text", headers, links, credential_id,
      status, reason, delayed_until, error, created_at, sent_at, provider_id, rate_slot_at
    from jsonb_populate_recordset(null::messages, ${JSON.stringify(rows)}::jsonb)
    on conflict (idempotency_key) do nothing
  `.execute(db);
}
