import type { JsonObject, ProviderEvent } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { setConsent } from '../contacts/privacy/consent.js';
import type { Database } from '../db/database.js';
import { isUuid } from '../db/ids.js';
import { countTriggerSteps, newTally, type RunTally, recordEvent } from '../events/record.js';
import { applyBounce } from '../inbound/suppression.js';
import { OUTBOX } from '../messages/outbox/transport.js';
import type { TriggerCounter } from '../observability/metrics.js';

/** The counts a provider webhook answers with. */
export interface ProviderTally {
  recorded: number;
  duplicates: number;
  unmatched: number;
  ignored: number;
}

interface Match {
  workspaceId: string;
  messageId: string | null;
  nodeId: string | null;
  contactId: string | null;
  to: string | null;
}

const EVENT_NAMES: Record<ProviderEvent['type'], string> = {
  delivered: 'email.delivered',
  bounced: 'email.bounced',
  complained: 'email.complained',
  'sms.delivered': 'sms.delivered',
  'sms.failed': 'sms.failed',
  'sms.opted-out': 'sms.opted-out',
  'sms.opted-in': 'sms.opted-in',
};

/** A reply's SMS consent: STOP unsubscribes the sender's number, START subscribes it again. */
const REPLY_CONSENT = {
  'sms.opted-out': { status: 'unsubscribed', source: 'sms-reply' },
  'sms.opted-in': { status: 'subscribed', source: 'sms-reply' },
} as const;

/** The SMS consent an event sets when it is a STOP or START reply; else undefined. */
const replyConsent = (event: ProviderEvent) => REPLY_CONSENT[event.type as keyof typeof REPLY_CONSENT];

/**
 * The contact holding `value` in `column` in one of `workspaceIds`, in the order the workspaces
 * verified (their credentials' age), so the answer is stable; a live holder first, else a
 * merged-away one's survivor (contract identity.md). Apart, because the identity indexes are
 * partial (see contacts/identity/holders.ts).
 */
async function holderOf(
  trx: Kysely<Database>,
  workspaceIds: string[],
  column: 'email' | 'phone',
  value: string,
): Promise<{ id: string; workspace_id: string } | undefined> {
  const { rows } = await sql<{ id: string; workspace_id: string }>`
    select coalesce(merged_into, id) as id, workspace_id from (
      select id, merged_into, workspace_id, 0 as merged from contacts
      where workspace_id = any(${workspaceIds}::uuid[]) and merged_into is null and ${sql.ref(column)} = ${value}
      union all
      select id, merged_into, workspace_id, 1 from contacts
      where workspace_id = any(${workspaceIds}::uuid[]) and merged_into is not null and ${sql.ref(column)} = ${value}
    ) holders
    order by array_position(${workspaceIds}::uuid[], workspace_id), merged limit 1`.execute(trx);
  return rows[0];
}

/**
 * The message (and contact) an event is about, in one of `workspaceIds` (those whose
 * credentials verified the request): by the `waymark_message` the provider echoes, else by its
 * message id, else (email) by the recipient's contact, with no message. Another workspace's
 * message or contact is no match.
 */
async function match(trx: Kysely<Database>, workspaceIds: string[], event: ProviderEvent): Promise<Match | null> {
  const channel = event.type.startsWith('sms.') ? 'sms' : 'email';
  const byMessage = async (column: 'id' | 'provider_id', value: string) => {
    let query = trx
      .selectFrom('messages')
      .select(['id', 'workspace_id', 'node_id', 'contact_id', 'to'])
      .where('workspace_id', 'in', workspaceIds)
      .where(column, '=', value)
      .where('channel', '=', channel);
    // Every message the built-in outbox kept has its one provider id: a provider's event naming
    // it would bounce whichever contact the outbox last mailed.
    if (column === 'provider_id' && value === OUTBOX) query = query.where('credential_id', 'is not', null);
    const row = await query.orderBy('created_at', 'desc').executeTakeFirst();
    return row
      ? { workspaceId: row.workspace_id, messageId: row.id, nodeId: row.node_id, contactId: row.contact_id, to: row.to }
      : null;
  };
  if (event.waymarkMessageId && isUuid(event.waymarkMessageId)) {
    const found = await byMessage('id', event.waymarkMessageId);
    if (found) return found;
  }
  if (event.providerId) {
    const found = await byMessage('provider_id', event.providerId);
    if (found) return found;
  }
  // An address (email) or, for a reply, the sender's number (E.164, as contacts store phones).
  const byRecipient = channel === 'email' || replyConsent(event) !== undefined;
  if (byRecipient && event.recipient) {
    const contact =
      channel === 'email'
        ? await holderOf(trx, workspaceIds, 'email', event.recipient.trim().toLowerCase())
        : await holderOf(trx, workspaceIds, 'phone', event.recipient.trim());
    if (contact)
      return {
        workspaceId: contact.workspace_id,
        messageId: null,
        nodeId: null,
        contactId: contact.id,
        to: event.recipient.trim(),
      };
  }
  return null;
}

/** A hard bounce of an address with no message of ours: suppressed all the same. */
async function suppressAddress(
  trx: Kysely<Database>,
  workspaceId: string,
  address: string,
  contactId: string | null,
  status: string,
) {
  const lower = address.trim().toLowerCase();
  await sql`
    insert into email_suppressions (workspace_id, address, contact_id, reason, status)
    select ${workspaceId}, ${lower}, ${contactId}, 'bounced', ${status}
    where not exists (select 1 from email_suppressions
      where workspace_id = ${workspaceId} and lower(address) = ${lower} and cleared_at is null)`.execute(trx);
}

/**
 * Whether the workspace stored the provider event already; holds the event's key until the
 * transaction ends, so a repeat racing the first waits for it and then finds it.
 */
async function alreadyRecorded(trx: Kysely<Database>, workspaceId: string, idempotencyKey: string): Promise<boolean> {
  await sql`select pg_advisory_xact_lock(hashtext(${`${workspaceId}:${idempotencyKey}`}))`.execute(trx);
  const { rows } = await sql`
    select 1 from events where workspace_id = ${workspaceId} and idempotency_key = ${idempotencyKey}`.execute(trx);
  return rows.length > 0;
}

/**
 * Keeps the key of an event whose message has no contact (no event row will hold it): false
 * when it was kept already. A repeat racing the first waits on the key until that one commits.
 */
async function keptFirst(trx: Kysely<Database>, workspaceId: string, idempotencyKey: string): Promise<boolean> {
  const { rows } = await sql`
    insert into provider_event_keys (workspace_id, idempotency_key) values (${workspaceId}, ${idempotencyKey})
    on conflict do nothing returning 1`.execute(trx);
  return rows.length > 0;
}

/**
 * Records one provider event on its contact and applies its effect, in one transaction: a
 * hard bounce suppresses the address (soft ones count toward three in a row), a complaint
 * unsubscribes the contact's email at once. The event's id makes a repeat record nothing.
 */
async function applyOne(
  db: Kysely<Database>,
  workspaceIds: string[],
  provider: string,
  event: ProviderEvent,
  tally: RunTally,
): Promise<'recorded' | 'duplicate' | 'unmatched'> {
  return db.transaction().execute(async (trx) => {
    const found = await match(trx, workspaceIds, event);
    if (!found) return 'unmatched';
    const idempotencyKey = `provider:${provider}:${event.id}`;
    // A repeat does nothing at all: its bounce would suppress again an address declared
    // deliverable since the first delivery, and count toward three soft bounces in a row.
    const repeat = found.contactId
      ? await alreadyRecorded(trx, found.workspaceId, idempotencyKey)
      : !(await keptFirst(trx, found.workspaceId, idempotencyKey));
    if (repeat) return 'duplicate';
    const base = { messageId: found.messageId, nodeId: found.nodeId, provider };
    let properties: JsonObject = base;
    const kind = event.kind ?? 'hard';
    if (event.type === 'bounced') {
      const status = event.status ?? kind;
      const address = event.recipient ?? found.to;
      if (found.messageId && found.to) {
        // The event keeps the kind the provider gave (contracts/sending.md); a third soft bounce
        // in a row suppresses the address all the same.
        await applyBounce(trx, { id: found.messageId, contactId: found.contactId, to: found.to }, kind, status);
      } else if (kind === 'hard' && address) {
        await suppressAddress(trx, found.workspaceId, address, found.contactId, status);
      }
      properties = { messageId: found.messageId, nodeId: found.nodeId, kind, status, provider };
    } else if (event.type === 'sms.failed') {
      properties = { ...base, code: event.code ?? null };
    } else if (replyConsent(event)) {
      properties = { ...base, keyword: event.status ?? null };
    }
    if (!found.contactId) return 'recorded';
    const { duplicate } = await recordEvent(
      trx,
      {
        contactId: found.contactId,
        name: EVENT_NAMES[event.type],
        properties,
        idempotencyKey,
      },
      tally,
    );
    if (duplicate) return 'duplicate';
    const reply = replyConsent(event);
    if (event.type === 'complained') {
      await setConsent(trx, found.contactId, { channel: 'email', status: 'unsubscribed', source: 'complaint' }, tally);
    } else if (reply) {
      await setConsent(trx, found.contactId, { channel: 'sms', ...reply }, tally);
    }
    return 'recorded';
  });
}

/**
 * Stores a webhook's events (API.md "Provider event webhooks") in the workspaces whose
 * credentials verified it (one provider account may serve several), and answers the counts.
 * Events are taken one by one, so one that fails leaves those before it stored (the provider
 * retries the request; the repeats count as duplicates).
 */
export async function recordProviderEvents(
  db: Kysely<Database>,
  workspaceIds: string[],
  provider: string,
  events: readonly ProviderEvent[],
  ignored: number,
  metrics: TriggerCounter,
): Promise<ProviderTally> {
  const tally: ProviderTally = { recorded: 0, duplicates: 0, unmatched: 0, ignored };
  for (const event of events) {
    const started = newTally();
    const outcome = await applyOne(db, workspaceIds, provider, event, started);
    countTriggerSteps(metrics, started);
    if (outcome === 'duplicate') tally.duplicates++;
    else if (outcome === 'unmatched') tally.unmatched++;
    else tally.recorded++;
  }
  return tally;
}
