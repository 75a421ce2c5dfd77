import { type SendRequest, type SuppressionReason, subtractDuration } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { SendingContact } from '../../contacts/load.js';
import type { Database } from '../../db/database.js';
import type { ContactRules } from './contact-rules.js';
import { quietHoursEnd } from './quiet-hours.js';

/** What the contact rules say about one message. */
export type Decision =
  | { status: 'queued' }
  | { status: 'suppressed'; reason: SuppressionReason }
  | { status: 'delayed'; reason: 'quiet-hours'; until: Date };

export interface DecideInput {
  /** The sending step's workspace: bounces recorded there suppress its mail. */
  workspaceId: string;
  request: SendRequest;
  to: string;
  contact: SendingContact | null;
  rules: ContactRules;
  now: Date;
  /** The message row deciding again after a delay, left out of the cap count. */
  messageId: string | null;
  /** The sending token took a split's holdout variant (experiments/holdout.ts). */
  holdout: boolean;
}

/** What the rules read of the database for one message. */
export interface DecisionFacts {
  /** `to` hard-bounced before (engine/inbound) and was not declared good since. */
  bounced: boolean;
  /** Marketing messages the contact got (or is being sent) within the cap's period. */
  recentMarketing: number;
}

/** Since when the marketing cap counts, when one applies to the message. */
export function capSince(input: Pick<DecideInput, 'request' | 'contact' | 'rules' | 'now'>): Date | null {
  const period = input.rules.marketing?.period;
  if (period === undefined || input.request.category !== 'marketing' || !input.contact) return null;
  return subtractDuration(input.now, period);
}

/** The addresses among `addresses` (lower case) that bounced in the workspace. Applies to every category. */
export async function bouncedAmong(
  db: Kysely<Database>,
  workspaceId: string,
  addresses: readonly string[],
): Promise<Set<string>> {
  if (addresses.length === 0) return new Set();
  const { rows } = await sql<{ address: string }>`
    select distinct lower(address) as address from email_suppressions
    where workspace_id = ${workspaceId} and lower(address) = any(${addresses.map((a) => a.toLowerCase())}::text[])
      and cleared_at is null`.execute(db);
  return new Set(rows.map((r) => r.address));
}

/**
 * How many marketing messages each contact got (or is being sent) since `since`, but `exclude`:
 * a sent message counts from when it was sent (one delayed by quiet hours keeps its creation time).
 */
export async function recentMarketingCounts(
  db: Kysely<Database>,
  contactIds: readonly string[],
  since: Date,
  exclude: string | null,
): Promise<Map<string, number>> {
  if (contactIds.length === 0) return new Map();
  const { rows } = await sql<{ contact_id: string; n: number }>`
    select contact_id, count(*)::int as n from messages
    where contact_id = any(${contactIds}::uuid[]) and category = 'marketing' and status in ('queued', 'sent')
      and coalesce(sent_at, created_at) > ${since} and (${exclude}::uuid is null or id <> ${exclude}::uuid)
    group by contact_id`.execute(db);
  return new Map(rows.map((r) => [r.contact_id, r.n]));
}

/**
 * Applies the contact rules to a message, inside the caller's transaction, which must hold
 * the contact's lock so that the cap count and the row that claims a slot commit together.
 */
export async function decide(trx: Kysely<Database>, input: DecideInput): Promise<Decision> {
  // A holdout is suppressed whatever the other rules say: nothing need be read for it.
  if (input.holdout) return judge(input, { bounced: false, recentMarketing: 0 });
  const since = capSince(input);
  const bounced =
    input.request.channel === 'email' && (await bouncedAmong(trx, input.workspaceId, [input.to])).size > 0;
  const recent =
    since && input.contact ? await recentMarketingCounts(trx, [input.contact.id], since, input.messageId) : null;
  return judge(input, { bounced, recentMarketing: (input.contact && recent?.get(input.contact.id)) || 0 });
}

/**
 * The contact rules on one message, given what was read for it. Order: holdout (of every
 * category: the token stands for a contact who gets nothing), bounced, consent (the
 * channel's, then the message's marketing category), quiet hours, cap; transactional mail
 * only meets the holdout and bounce checks.
 */
export function judge(input: DecideInput, facts: DecisionFacts): Decision {
  const { request, contact, rules, now } = input;
  if (input.holdout) return { status: 'suppressed', reason: 'holdout' };
  if (request.channel === 'email' && facts.bounced) return { status: 'suppressed', reason: 'bounced' };
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

  const quietUntil = quietHoursEnd(rules, now, contact.timezone ?? 'UTC');
  if (quietUntil) return { status: 'delayed', reason: 'quiet-hours', until: quietUntil };

  const cap = rules.marketing;
  if (cap && capSince(input) && facts.recentMarketing >= cap.maxMessages) {
    return { status: 'suppressed', reason: 'frequency-cap' };
  }
  return { status: 'queued' };
}
