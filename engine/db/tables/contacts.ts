import type { CategorySubscription, ChannelConsent, JsonObject, JsonValue } from '@waymark/sdk';
import type { Generated } from 'kysely';
import type { Json, Timestamp } from './foundation.js';

/** One person; identity by external id, email (lower-cased) or phone (E.164). */
export interface ContactsTable {
  /** The workspace it belongs to. */
  workspace_id: string;
  id: Generated<string>;
  email: string | null;
  phone: string | null;
  external_id: string | null;
  timezone: string | null;
  attributes: Generated<Json<JsonObject>>;
  consent: Generated<Json<{ email: ChannelConsent; sms: ChannelConsent }>>;
  subscriptions: Generated<Json<Record<string, CategorySubscription>>>;
  created_at: Generated<Timestamp>;
  updated_at: Generated<Timestamp>;
  /** Set once merged away: the survivor it now means (the last one when merges chain). */
  merged_into: Generated<string | null>;
  /** Per top-level attribute, `{ source, at }` of the write that set its value. */
  attribute_sources: Generated<Json<JsonObject>>;
  /** Computed attributes' values by name. */
  computed: Generated<Json<JsonObject>>;
}

/** A tag's default lifespan, used when it is added without one. */
export interface TagsTable {
  /** The workspace it belongs to. */
  workspace_id: string;
  tag: string;
  ttl_seconds: number | null;
}

/** A tag on a contact: additions counted, expiry and removal keep the count. */
export interface ContactTagsTable {
  contact_id: string;
  tag: string;
  count: Generated<number>;
  first_added_at: Generated<Timestamp>;
  last_added_at: Generated<Timestamp>;
  expires_at: Timestamp | null;
  removed: Generated<boolean>;
}

export interface ContactListsTable {
  contact_id: string;
  list: string;
  added_at: Generated<Timestamp>;
}

/** Append-only events on contacts. */
export interface EventsTable {
  /** The workspace it belongs to (set from its owner when not given). */
  workspace_id: Generated<string>;
  id: Generated<string>;
  contact_id: string;
  name: string;
  properties: Generated<Json<JsonObject>>;
  timestamp: Generated<Timestamp>;
  idempotency_key: string | null;
  created_at: Generated<Timestamp>;
}

export interface SegmentMembersTable {
  journey_id: string;
  node_id: string;
  contact_id: string;
}

export interface TriggerStateTable {
  journey_id: string;
  node_id: string;
  params_hash: string;
  last_at: Timestamp | null;
  next_at: Timestamp | null;
  /** The evaluation whose contacts are entering, a chunk per transaction (null: none open). */
  tick_at: Timestamp | null;
  /** core.date: the instant the evaluation before it was at. */
  tick_from: Timestamp | null;
  /** The last contact the open tick entered (contacts enter in id order). */
  entered_through: string | null;
  /** A polling trigger: what its last poll returned as `state` (null: none yet). */
  poll_state: Json<JsonValue> | null;
}

/** An item key a polling trigger's node has seen: its run started (or none could), never again. */
export interface TriggerSeenKeysTable {
  journey_id: string;
  node_id: string;
  key: string;
  /** The run it started; null when re-entry or the entry cap turned it away. */
  run_id: string | null;
  seen_at: Generated<Timestamp>;
}

export interface ErasuresTable {
  id: Generated<string>;
  contact_hash: string;
  identity_hashes: Generated<string[]>;
  erased_at: Generated<Timestamp>;
}

export interface ContactTables {
  contacts: ContactsTable;
  tags: TagsTable;
  contact_tags: ContactTagsTable;
  contact_lists: ContactListsTable;
  events: EventsTable;
  segment_members: SegmentMembersTable;
  trigger_state: TriggerStateTable;
  trigger_seen_keys: TriggerSeenKeysTable;
  erasures: ErasuresTable;
}
