import type { JsonObject, JsonValue } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { ownValue } from './sources.js';

/** A contact's own row with its tags and lists, as a merge keeps it to undo it later. */
export interface ContactState {
  contact: ContactRowState;
  tags: TagRow[];
  lists: ListRow[];
}

export interface ContactRowState {
  id: string;
  email: string | null;
  phone: string | null;
  external_id: string | null;
  timezone: string | null;
  attributes: JsonObject;
  attribute_sources: JsonObject;
  consent: JsonObject;
  subscriptions: JsonObject;
  created_at: string;
  merged_into: string | null;
}

export interface TagRow {
  tag: string;
  count: number;
  first_added_at: string;
  last_added_at: string;
  expires_at: string | null;
  removed: boolean;
}

export interface ListRow {
  list: string;
  added_at: string;
}

/** The contact's row, tags and lists as JSON (one statement). */
export async function readState(trx: Kysely<Database>, contactId: string): Promise<ContactState> {
  const { rows } = await sql<{ state: ContactState }>`
    select jsonb_build_object(
      'contact', to_jsonb(c) - 'workspace_id' - 'updated_at' - 'computed',
      'tags', coalesce((select jsonb_agg(to_jsonb(t) - 'contact_id' order by t.tag) from contact_tags t
        where t.contact_id = c.id), '[]'),
      'lists', coalesce((select jsonb_agg(to_jsonb(l) - 'contact_id' order by l.list) from contact_lists l
        where l.contact_id = c.id), '[]')) as state
    from contacts c where c.id = ${contactId}`.execute(trx);
  const state = rows[0]?.state;
  if (!state) throw new Error(`contact ${contactId} vanished under its lock`);
  return state;
}

const RANK: Record<string, number> = { unknown: 0, subscribed: 1, unsubscribed: 2 };
const rank = (entry: JsonValue | undefined) =>
  RANK[String((entry as { status?: string } | undefined)?.status ?? 'unknown')] ?? 0;

/**
 * Consent or subscriptions united key by key: `unsubscribed` beats `subscribed` beats
 * `unknown` (or no entry); the winner keeps its source and time; equal ranks keep the survivor's.
 */
export function uniteConsent(survivor: JsonObject, other: JsonObject): JsonObject {
  const out: JsonObject = { ...survivor };
  for (const [key, entry] of Object.entries(other)) if (rank(entry) > rank(ownValue(survivor, key))) out[key] = entry;
  return out;
}

/**
 * Attributes united: the survivor's values win and the other's fill gaps, unless `otherWins`
 * says the other value's source ranks higher; sources follow the values kept.
 */
export function uniteAttributes(
  survivor: Pick<ContactRowState, 'attributes' | 'attribute_sources'>,
  other: Pick<ContactRowState, 'attributes' | 'attribute_sources'>,
  otherWins: (key: string, survivorSource?: string, otherSource?: string) => boolean = () => false,
): { attributes: JsonObject; sources: JsonObject } {
  const attributes: JsonObject = { ...other.attributes, ...survivor.attributes };
  const sources: JsonObject = {};
  const sourceOf = (c: typeof survivor, key: string) =>
    (ownValue(c.attribute_sources, key) as { source?: string } | undefined)?.source;
  for (const key of Object.keys(attributes)) {
    const theirs =
      Object.hasOwn(other.attributes, key) && otherWins(key, sourceOf(survivor, key), sourceOf(other, key));
    const from = Object.hasOwn(survivor.attributes, key) && !theirs ? survivor : other;
    attributes[key] = from.attributes[key] as JsonValue;
    const source = ownValue(from.attribute_sources, key);
    if (source !== undefined) sources[key] = source;
  }
  return { attributes, sources };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Undoes a merge key by key: a key whose value is still what the merge made it gets its value
 * from before the merge back; a key written since keeps its new value.
 */
export function undoKeys(current: JsonObject, after: JsonObject, before: JsonObject): JsonObject {
  const out: JsonObject = { ...current };
  for (const key of new Set([...Object.keys(after), ...Object.keys(before)])) {
    if (!same(ownValue(current, key), ownValue(after, key))) continue;
    const value = ownValue(before, key);
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

/** One field undone as `undoKeys` does. */
export function undoField<T>(current: T, after: T, before: T): T {
  return same(current, after) ? before : current;
}
