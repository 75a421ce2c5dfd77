import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { SecretKeys } from '../../config/secret-key.js';
import { setConsent } from '../../contacts/privacy/consent.js';
import { setSubscription } from '../../contacts/privacy/subscriptions.js';
import { addTag, addToList } from '../../contacts/tags.js';
import type { Database } from '../../db/database.js';
import type { StoredLink } from '../../db/tables/messages.js';
import { countTriggerSteps, newTally, recordEvent } from '../../events/record.js';
import type { TriggerCounter } from '../../observability/metrics.js';
import { verifyToken } from './tokens.js';

interface TrackedMessage {
  id: string;
  contact_id: string | null;
  node_id: string | null;
  links: StoredLink[];
  /** The marketing category of the message, which the unsubscribe page offers to leave alone. */
  subscription: string | null;
}

/** The message a token names, or null for an altered, unknown or erased one. */
export async function messageOfToken(
  db: Kysely<Database>,
  keys: SecretKeys,
  kind: 'c' | 'o' | 'u',
  token: string,
): Promise<{ message: TrackedMessage; index?: number } | null> {
  const target = verifyToken(keys, kind, token);
  if (!target) return null;
  const message = await db
    .selectFrom('messages')
    .select(['id', 'contact_id', 'node_id', 'links', 'subscription'])
    .where('id', '=', target.messageId)
    .executeTakeFirst();
  return message ? { message: message as TrackedMessage, index: target.index } : null;
}

// Schemes a redirect never leads to: a tracked link is followed by a browser, outside the email.
const UNSAFE_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:']);

/**
 * Where a click on `href` is sent: the WHATWG URL serialisation of the href (non-ASCII
 * characters and spaces percent-encoded, tabs and line breaks removed, the host in
 * punycode), which is always a valid `Location` header; null for an href that is not an
 * absolute URL, or one whose scheme a redirect must not lead to.
 */
export function redirectLocation(href: string): string | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  if (UNSAFE_SCHEMES.has(url.protocol)) return null;
  // The serialisation is ASCII without control characters; this only guards the header.
  return url.href.replace(/[^\x20-\x7e]/g, (c) => encodeURIComponent(c));
}

/**
 * The message and link a click token names and where it redirects (see `redirectLocation`),
 * recording nothing: what a link checker's `HEAD` is answered from. Null as `recordClick`.
 */
export async function clickTarget(
  db: Kysely<Database>,
  keys: SecretKeys,
  token: string,
): Promise<{ message: TrackedMessage; link: StoredLink; location: string } | null> {
  const found = await messageOfToken(db, keys, 'c', token);
  const link = found?.message.links.find((l) => l.index === found.index);
  const location = link ? redirectLocation(link.url) : null;
  return found && link && location ? { message: found.message, link, location } : null;
}

/**
 * Records a click: counts it, stores `email.clicked` { key, url, messageId, nodeId } and
 * applies the link's tags and lists, in one transaction. Returns where to redirect (see
 * `redirectLocation`), or null when the token names no link or the link has no address a
 * browser may be sent to (then nothing is recorded).
 */
export async function recordClick(
  db: Kysely<Database>,
  keys: SecretKeys,
  token: string,
  log: Logger,
  metrics: TriggerCounter,
): Promise<string | null> {
  const target = await clickTarget(db, keys, token);
  if (!target) return null;
  const { message, link, location } = target;
  try {
    const started = await db.transaction().execute(async (trx) => {
      await sql`update messages set clicks = clicks + 1 where id = ${message.id}`.execute(trx);
      if (!message.contact_id) return newTally();
      const properties = { key: link.key, url: link.url, messageId: message.id, nodeId: message.node_id };
      const recorded = await recordEvent(trx, {
        contactId: message.contact_id,
        name: 'email.clicked',
        properties,
      });
      for (const tag of link.addTags ?? []) await addTag(trx, message.contact_id, tag);
      for (const list of link.addLists ?? []) await addToList(trx, message.contact_id, list);
      return recorded;
    });
    countTriggerSteps(metrics, started);
  } catch (error) {
    // The reader still gets where they were going; the miss is in the log.
    log.error({ err: error, messageId: message.id }, 'recording a click failed');
  }
  return location;
}

/** Records an open: counts it and stores `email.opened` { messageId, nodeId }. False for a bad token. */
export async function recordOpen(
  db: Kysely<Database>,
  keys: SecretKeys,
  token: string,
  log: Logger,
  metrics: TriggerCounter,
): Promise<boolean> {
  const found = await messageOfToken(db, keys, 'o', token);
  if (!found) return false;
  const { message } = found;
  try {
    const started = await db.transaction().execute(async (trx) => {
      await sql`update messages set opens = opens + 1 where id = ${message.id}`.execute(trx);
      if (!message.contact_id) return newTally();
      const properties = { messageId: message.id, nodeId: message.node_id };
      return recordEvent(trx, { contactId: message.contact_id, name: 'email.opened', properties });
    });
    countTriggerSteps(metrics, started);
  } catch (error) {
    log.error({ err: error, messageId: message.id }, 'recording an open failed');
  }
  return true;
}

/**
 * Unsubscribes the message's contact from marketing email, or with `categoryOnly` from the
 * message's marketing category alone (all marketing email when it has none), and records
 * `email.unsubscribed` `{ messageId, nodeId, subscription? }` once for the message (and
 * category), however often its link is posted. Answers what was left (`category`
 * null: all marketing email), or null for a bad token.
 */
export async function unsubscribe(
  db: Kysely<Database>,
  keys: SecretKeys,
  token: string,
  metrics: TriggerCounter,
  options: { categoryOnly?: boolean } = {},
): Promise<{ category: string | null } | null> {
  const found = await messageOfToken(db, keys, 'u', token);
  if (!found) return null;
  const { message } = found;
  const category = options.categoryOnly ? message.subscription : null;
  const contactId = message.contact_id;
  if (!contactId) return { category };
  const tally = newTally();
  await db.transaction().execute(async (trx) => {
    const source = 'unsubscribe-link';
    if (category) await setSubscription(trx, contactId, category, { status: 'unsubscribed', source }, tally);
    else await setConsent(trx, contactId, { channel: 'email', status: 'unsubscribed', source }, tally);
    const properties = {
      messageId: message.id,
      nodeId: message.node_id,
      ...(category ? { subscription: category } : {}),
    };
    // Mail clients and link scanners send RFC 8058's POST more than once: one event a message (and category).
    const idempotencyKey = `waymark:unsubscribed:${message.id}:${category ?? ''}`;
    await recordEvent(trx, { contactId, name: 'email.unsubscribed', properties, idempotencyKey }, tally);
  });
  countTriggerSteps(metrics, tally);
  return { category };
}
