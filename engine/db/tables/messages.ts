import type { ColumnType, Generated } from 'kysely';
import type { OptionalTimestamp, Timestamp } from './foundation.js';

/** A timestamp the database fills by default (kysely does not unwrap Generated<ColumnType>). */
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type DefaultJson<T> = ColumnType<T, T | string | undefined, T | string>;

/** A tracked link of an email: the href as the HTML meant it, and its key when it has one. */
export interface StoredLink {
  index: number;
  key: string | null;
  url: string;
  /** What a click applies, from the node's `links` param for this key. */
  addTags?: string[];
  addLists?: string[];
}

/** Every message any channel sent, delayed or suppressed; with no SMTP, the outbox. */
export interface MessagesTable {
  /** The workspace it belongs to (set from its owner when not given). */
  workspace_id: Generated<string>;
  id: Generated<string>;
  idempotency_key: string | null;
  run_id: string | null;
  journey_id: string | null;
  node_id: string | null;
  contact_id: string | null;
  channel: string;
  category: 'marketing' | 'transactional';
  to: string;
  from: string | null;
  reply_to: string | null;
  subject: string | null;
  html: string | null;
  text: string | null;
  headers: DefaultJson<Record<string, string>>;
  status: 'queued' | 'delayed' | 'sent' | 'suppressed' | 'failed';
  reason: string | null;
  error: string | null;
  delayed_until: Timestamp | null;
  provider_id: string | null;
  /** The sending credential it went out through; null for `SMTP_URL` or the outbox. */
  credential_id: Generated<string | null>;
  /** With a send rate: when the message may go out (its place in the queue). */
  rate_slot_at: OptionalTimestamp;
  /** With a send rate: when it was handed to the server or API. */
  rate_sent_at: OptionalTimestamp;
  /** Under the journey's sendRate: when the message may go out (queue order). */
  journey_slot_at: OptionalTimestamp;
  /** Under the journey's sendRate: when it was handed over. */
  journey_sent_at: OptionalTimestamp;
  /**
   * Under a send rate: the latest its request can reach the server (its answer's time; while
   * it is out, a minute after its hand-over). Both rates count a hand-over until then.
   */
  rate_reach_by: OptionalTimestamp;
  links: DefaultJson<StoredLink[]>;
  opens: Generated<number>;
  clicks: Generated<number>;
  created_at: DefaultTimestamp;
  sent_at: Timestamp | null;
  /** The marketing category (`newsletter`) a contact can unsubscribe from alone; null when none. */
  subscription: ColumnType<string | null, string | null | undefined, string | null>;
  /** How the email bounced, from the delivery report matched to it (inbound mail). */
  bounce: 'hard' | 'soft' | null;
}

/** Leads for salespeople. */
export interface LeadsTable {
  /** The workspace it belongs to (set from its owner when not given). */
  workspace_id: Generated<string>;
  id: Generated<string>;
  idempotency_key: string | null;
  title: string;
  contact_id: string | null;
  owner: string;
  status: Generated<'open' | 'won' | 'lost'>;
  journey_id: string | null;
  run_id: string | null;
  node_id: string | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

/** Round-robin position per owners list. */
export interface LeadCountersTable {
  owners_hash: string;
  next: Generated<string>;
}

/** Hard-bounced addresses; a row suppresses mail to its address until `cleared_at` is set. */
export interface EmailSuppressionsTable {
  /** The workspace it belongs to (set from its owner when not given). */
  workspace_id: Generated<string>;
  id: Generated<string>;
  address: string;
  contact_id: string | null;
  reason: Generated<string>;
  created_at: DefaultTimestamp;
  /** The message whose delivery report caused it, and that report's status (`5.1.1`). */
  message_id: string | null;
  status: string | null;
  cleared_at: Timestamp | null;
}

/** A provider webhook's nonce (Mailgun's `timestamp + token`, as a digest) and the one event it signed. */
export interface ProviderWebhookNoncesTable {
  provider: string;
  nonce: string;
  event_id: string;
  seen_at: DefaultTimestamp;
}

export interface MessageTables {
  messages: MessagesTable;
  leads: LeadsTable;
  lead_counters: LeadCountersTable;
  email_suppressions: EmailSuppressionsTable;
  provider_webhook_nonces: ProviderWebhookNoncesTable;
}
