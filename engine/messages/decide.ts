import {
  inDailyWindow,
  nextWallClockTime,
  parseDuration,
  type SendRequest,
  type SuppressionReason,
} from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { SendingContact } from '../contacts/load.js';
import type { Database } from '../db/database.js';
import type { ContactRules } from './contact-rules.js';

/** What the contact rules say about one message. */
export type Decision =
  | { status: 'queued' }
  | { status: 'suppressed'; reason: SuppressionReason }
  | { status: 'delayed'; reason: 'quiet-hours'; until: Date };

interface DecideInput {
  /** The sending step's workspace: bounces recorded there suppress its mail. */
  workspaceId: string;
  request: SendRequest;
  to: string;
  contact: SendingContact | null;
  rules: ContactRules;
  now: Date;
  /** The message row deciding again after a delay, left out of the cap count. */
  messageId: string | null;
}

/**
 * True when `to` hard-bounced before (engine/inbound) and was not declared good since. Applies to
 * every category: the address cannot receive mail.
 */
async function isBounced(db: Kysely<Database>, workspaceId: string, to: string): Promise<boolean> {
  const { rows } = await sql<{ hit: number }>`
    select 1 as hit from email_suppressions
    where workspace_id = ${workspaceId} and lower(address) = lower(${to}) and cleared_at is null limit 1`.execute(db);
  return rows.length > 0;
}

/** How many marketing messages the contact got (or is being sent) in the rolling period. */
async function recentMarketing(db: Kysely<Database>, contactId: string, since: Date, exclude: string | null) {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from messages
    where contact_id = ${contactId} and category = 'marketing' and status in ('queued', 'sent')
      and created_at > ${since} and (${exclude}::uuid is null or id <> ${exclude}::uuid)`.execute(db);
  return rows[0]?.n ?? 0;
}

/**
 * Applies the contact rules to a message, inside the caller's transaction, which must hold
 * the contact's lock so that the cap count and the row that claims a slot commit together.
 * Order: bounced, consent (the channel's, then the message's marketing category), quiet hours,
 * cap; transactional mail only meets the bounce check.
 */
export async function decide(trx: Kysely<Database>, input: DecideInput): Promise<Decision> {
  const { request, to, contact, rules, now } = input;
  if (request.channel === 'email' && (await isBounced(trx, input.workspaceId, to)))
    return { status: 'suppressed', reason: 'bounced' };
  if (request.category === 'transactional' || !contact) return { status: 'queued' };

  const channelConsent = (contact.consent as Record<string, { status?: string; source?: string } | undefined>)[
    request.channel
  ];
  const consent = channelConsent?.status ?? 'unknown';
  // A spam complaint (a provider's feedback loop) unsubscribed the contact: named apart.
  if (consent === 'unsubscribed')
    return { status: 'suppressed', reason: channelConsent?.source === 'complaint' ? 'complained' : 'unsubscribed' };
  // A double opt-in awaiting its click has not agreed yet.
  if (consent === 'pending') return { status: 'suppressed', reason: 'no-consent' };
  if (request.subscription && contact.subscriptions?.[request.subscription]?.status === 'unsubscribed')
    return { status: 'suppressed', reason: 'unsubscribed' };
  if (rules.requireConsent && consent !== 'subscribed') return { status: 'suppressed', reason: 'no-consent' };

  const quiet = rules.quietHours;
  const zone = contact.timezone ?? 'UTC';
  if (quiet && inDailyWindow(now, quiet.start, quiet.end, zone)) {
    return { status: 'delayed', reason: 'quiet-hours', until: nextWallClockTime(now, quiet.end, zone) };
  }

  const cap = rules.marketing;
  const periodMs = cap ? parseDuration(cap.period) : null;
  if (cap && periodMs !== null) {
    const since = new Date(now.getTime() - periodMs);
    if ((await recentMarketing(trx, contact.id, since, input.messageId)) >= cap.maxMessages) {
      return { status: 'suppressed', reason: 'frequency-cap' };
    }
  }
  return { status: 'queued' };
}
