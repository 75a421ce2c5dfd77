import type { MessageStatus } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { microseconds, pagesOn, timePage } from '../db/cursor.js';
import type { Database } from '../db/database.js';
import { isUuid } from '../db/ids.js';
import { outboxHeaders } from './outbox/outbox-headers.js';
import { OUTBOX } from './outbox/transport.js';
import type { Message, MessageDetail } from './types.js';

export interface MessageFilter {
  contactId?: string;
  runId?: string;
  status?: string;
  limit: number;
  cursor?: string;
}

interface MessageRow {
  id: string;
  run_id: string | null;
  node_id: string | null;
  contact_id: string | null;
  channel: string;
  category: string;
  subscription: string | null;
  to: string;
  subject: string | null;
  status: MessageStatus;
  reason: string | null;
  error: string | null;
  created_at: Date;
  sent_at: Date | null;
  opens: number;
  clicks: number;
  credential_id: string | null;
  provider_id: string | null;
  html?: string | null;
  text?: string | null;
  headers?: Record<string, string>;
}

/** A message as the API lists it; optional fields only when set. */
export function toApiMessage(r: MessageRow): Message {
  return {
    id: r.id,
    runId: r.run_id,
    nodeId: r.node_id,
    contactId: r.contact_id,
    channel: r.channel,
    category: r.category,
    ...(r.subscription ? { subscription: r.subscription } : {}),
    to: r.to,
    ...(r.subject !== null ? { subject: r.subject } : {}),
    status: r.status,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.error ? { error: r.error } : {}),
    createdAt: new Date(r.created_at).toISOString(),
    ...(r.sent_at ? { sentAt: new Date(r.sent_at).toISOString() } : {}),
    opens: r.opens,
    clicks: r.clicks,
    credentialId: r.credential_id,
    providerId: r.provider_id,
  };
}

/** Newest messages first, filtered, one page and the cursor of the next (null on the last). */
export async function listMessages(db: Kysely<Database>, workspaceId: string, filter: MessageFilter) {
  // A malformed id matches nothing rather than failing the uuid cast.
  const none = '00000000-0000-0000-0000-000000000000';
  const contactId = filter.contactId === undefined ? null : isUuid(filter.contactId) ? filter.contactId : none;
  const runId = filter.runId === undefined ? null : isUuid(filter.runId) ? filter.runId : none;
  const { rows } = await sql<MessageRow & { us: string }>`
    select id, run_id, node_id, contact_id, channel, category, subscription, "to", subject, status, reason, error,
      created_at, sent_at, opens, clicks, credential_id, provider_id, ${microseconds('created_at')} as us
    from messages
    where workspace_id = ${workspaceId} and (${contactId}::uuid is null or contact_id = ${contactId}::uuid)
      and (${runId}::uuid is null or run_id = ${runId}::uuid)
      and (${filter.status ?? null}::text is null or status = ${filter.status ?? null})
      and ${pagesOn('messages', filter.cursor, 'created_at')}
    order by created_at desc, id desc
    limit ${filter.limit + 1}`.execute(db);
  const { page, nextCursor } = timePage('messages', rows, filter.limit);
  return { messages: page.map(toApiMessage), nextCursor };
}

/**
 * One message with its rendered html, text and headers (the outbox); null when unknown. An
 * email the outbox kept (no `SMTP_URL`, no credential) also shows `allHeaders`: every header
 * line it would go out with, in order (`outboxHeaders`, written for this answer).
 */
export async function getMessage(
  db: Kysely<Database>,
  workspaceId: string,
  id: string,
  publicUrl: string,
): Promise<MessageDetail | null> {
  if (!isUuid(id)) return null;
  const { rows } = await sql<MessageRow & { from: string | null; reply_to: string | null }>`
    select id, run_id, node_id, contact_id, channel, category, subscription, "to", subject, status, reason, error,
      created_at, sent_at, opens, clicks, credential_id, provider_id, html, text, headers, "from", reply_to
    from messages where id = ${id} and workspace_id = ${workspaceId}`.execute(db);
  const r = rows[0];
  if (!r) return null;
  const outboxed = r.channel === 'email' && r.provider_id === OUTBOX && r.credential_id === null;
  const allHeaders = outboxed
    ? await outboxHeaders(
        {
          messageId: r.id,
          channel: r.channel,
          to: r.to,
          from: r.from ?? undefined,
          replyTo: r.reply_to ?? undefined,
          subject: r.subject ?? undefined,
          html: r.html ?? undefined,
          text: r.text ?? undefined,
          headers: r.headers ?? {},
        },
        new Date(r.sent_at ?? r.created_at),
        publicUrl,
      )
    : undefined;
  return { ...withContent(r), ...(allHeaders ? { allHeaders } : {}) };
}

/** A message with what it holds: its rendered html, text and headers. */
function withContent(r: MessageRow): MessageDetail {
  return {
    ...toApiMessage(r),
    ...(r.html != null ? { html: r.html } : {}),
    ...(r.text != null ? { text: r.text } : {}),
    headers: r.headers ?? {},
  };
}

/**
 * Every message of a contact, oldest first, as `GET /api/messages/:id` shows it (without
 * `allHeaders`, which is written for that answer, not kept).
 */
export async function contactMessages(db: Kysely<Database>, workspaceId: string, contactId: string) {
  const { rows } = await sql<MessageRow>`
    select id, run_id, node_id, contact_id, channel, category, subscription, "to", subject, status, reason, error,
      created_at, sent_at, opens, clicks, credential_id, provider_id, html, text, headers
    from messages where workspace_id = ${workspaceId} and contact_id = ${contactId}
    order by created_at, id`.execute(db);
  return rows.map(withContent);
}
