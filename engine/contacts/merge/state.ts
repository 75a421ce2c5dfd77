import type { JsonObject, JsonValue } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { ownValue } from '../sources.js';

/** A contact's own row with its tags, lists and segment memberships, as a merge keeps it to undo it later. */
export interface ContactState {
  contact: ContactRowState;
  tags: TagRow[];
  lists: ListRow[];
  /** Absent in merges recorded before memberships were kept. */
  segments?: SegmentRow[];
  /** Its experiment units at splits (`split_units`); absent in merges recorded before units were kept. */
  units?: UnitRow[];
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

/** A `core.segment` trigger the contact is a member of (it entered, and matched at the last evaluation). */
export interface SegmentRow {
  journey_id: string;
  node_id: string;
}

/** A contact's experiment unit at one split (`split_units` without its workspace and unit). */
export interface UnitRow {
  journey_id: string;
  node_id: string;
  variant: string;
  by: string;
  assigned_at: string;
  goal_at: string | null;
  click_at: string | null;
  open_at: string | null;
}

/** The contact's row, tags, lists, segment memberships and split units as JSON (one statement). */
export async function readState(trx: Kysely<Database>, contactId: string): Promise<ContactState> {
  const { rows } = await sql<{ state: ContactState }>`
    select jsonb_build_object(
      'contact', to_jsonb(c) - 'workspace_id' - 'updated_at' - 'computed',
      'tags', coalesce((select jsonb_agg(to_jsonb(t) - 'contact_id' order by t.tag) from contact_tags t
        where t.contact_id = c.id), '[]'),
      'lists', coalesce((select jsonb_agg(to_jsonb(l) - 'contact_id' order by l.list) from contact_lists l
        where l.contact_id = c.id), '[]'),
      'segments', coalesce((select jsonb_agg(jsonb_build_object('journey_id', m.journey_id, 'node_id', m.node_id)
        order by m.journey_id, m.node_id) from segment_members m where m.contact_id = c.id), '[]'),
      'units', coalesce((select jsonb_agg(to_jsonb(u) - 'workspace_id' - 'unit' order by u.journey_id, u.node_id)
        from split_units u where u.unit = c.id::text), '[]')) as state
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

export const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

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

/**
 * The survivor's tags undone: a tag untouched since the merge is as it was before it; one
 * added to since keeps those additions (its count is its count before the merge plus them,
 * its last addition and expiry theirs) and one removed since stays removed. A tag only the
 * merged-away contact held and the survivor added since dates its first addition from its
 * last (the earliest time kept).
 */
export function undoTags(current: TagRow[], after: TagRow[], before: TagRow[]): TagRow[] {
  const index = (rows: TagRow[]) => new Map(rows.map((r) => [r.tag, r]));
  const [was, made] = [index(before), index(after)];
  const out: TagRow[] = [];
  for (const now of current) {
    const [b, a] = [was.get(now.tag), made.get(now.tag)];
    if (!a || same(now, a)) {
      const kept = a ? b : now;
      if (kept) out.push(kept);
      continue;
    }
    const added = now.count - a.count;
    if (b)
      out.push({
        ...b,
        count: b.count + added,
        removed: now.removed,
        ...(added > 0 ? { last_added_at: now.last_added_at, expires_at: now.expires_at } : {}),
      });
    else if (added > 0) out.push({ ...now, count: added, first_added_at: now.last_added_at });
  }
  return out.sort((x, y) => x.tag.localeCompare(y.tag));
}
