import type { JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { ownValue } from '../sources.js';
import type { ContactRowState, ContactState, ListRow, TagRow } from './state.js';

type Identity = Pick<
  ContactRowState,
  'email' | 'phone' | 'external_id' | 'attributes' | 'attribute_sources' | 'consent' | 'subscriptions'
> & {
  tags: TagRow[] | null;
  lists: ListRow[] | null;
};

/**
 * What a person left in other contacts' merge copies: its identity values, attribute writes,
 * tags, lists and consent choices.
 */
interface Traces {
  emails: Set<string>;
  phones: Set<string>;
  externalIds: Set<string>;
  /** By attribute, the person's writes: source, time and value (one import batch shares a time). */
  writes: Map<string, Set<string>>;
  /**
   * Its tag rows: a tag only it held moves in a merge as it is, one both held is united (its
   * count summed), so an equal row in a copy is its.
   */
  tags: Set<string>;
  /** Its list rows (list and time added): a list only it held moves as it is, one both held keeps the earlier. */
  lists: Set<string>;
  /** Its recorded consent and subscription choices by channel or category (status, source, time). */
  choices: Set<string>;
}

/** The write that set `key`'s value, or undefined when no source entry names it. */
const writeKey = (c: Pick<Identity, 'attributes' | 'attribute_sources'>, key: string) => {
  const { source, at } = (ownValue(c.attribute_sources ?? {}, key) ?? {}) as { source?: unknown; at?: unknown };
  if (typeof source !== 'string' || typeof at !== 'string') return undefined;
  return JSON.stringify([source, at, ownValue(c.attributes ?? {}, key) ?? null]);
};
const timeOf = (write: string) => (JSON.parse(write) as string[])[1] as string;
const tagKey = (t: TagRow) =>
  JSON.stringify([t.tag, t.count, t.first_added_at, t.last_added_at, t.expires_at ?? null, t.removed]);
const listKey = (l: ListRow) => JSON.stringify([l.list, l.added_at]);
/** A recorded choice (one with a time: `unknown` without one is no one's), or undefined. */
const choiceKey = (kind: 'consent' | 'subscriptions', key: string, entry: unknown) => {
  const { status, source, at } = (entry ?? {}) as { status?: unknown; source?: unknown; at?: unknown };
  return typeof at === 'string' ? JSON.stringify([kind, key, status, source ?? null, at]) : undefined;
};
const choicesOf = (c: Pick<Identity, 'consent' | 'subscriptions'>) =>
  (['consent', 'subscriptions'] as const).flatMap((kind) =>
    Object.entries(c[kind] ?? {}).map(([key, entry]) => ({ kind, key, choice: choiceKey(kind, key, entry) })),
  );
/** The time a list row or choice key names, to find the copies holding it by text. */
const timeIn = (key: string) => (JSON.parse(key) as string[]).at(-1) as string;

function tracesOf(states: Identity[]): Traces {
  const traces: Traces = {
    emails: new Set(),
    phones: new Set(),
    externalIds: new Set(),
    writes: new Map(),
    tags: new Set(),
    lists: new Set(),
    choices: new Set(),
  };
  for (const s of states) {
    if (s.email) traces.emails.add(s.email.toLowerCase());
    if (s.phone) traces.phones.add(s.phone);
    if (s.external_id) traces.externalIds.add(s.external_id);
    for (const t of s.tags ?? []) traces.tags.add(tagKey(t));
    for (const l of s.lists ?? []) traces.lists.add(listKey(l));
    for (const { choice } of choicesOf(s)) if (choice) traces.choices.add(choice);
    for (const key of Object.keys(s.attribute_sources ?? {})) {
      const w = writeKey(s, key);
      if (w) traces.writes.set(key, (traces.writes.get(key) ?? new Set()).add(w));
    }
  }
  return traces;
}

/** The copy without the person's identity values, the attribute values it wrote, its tags, lists and choices. */
function scrub(state: ContactState, t: Traces): ContactState {
  const c = state.contact;
  const attributes: JsonObject = { ...c.attributes };
  const sources: JsonObject = { ...c.attribute_sources };
  for (const key of Object.keys(sources)) {
    const w = writeKey(c, key);
    if (!w || !t.writes.get(key)?.has(w)) continue;
    delete attributes[key];
    delete sources[key];
  }
  const contact: ContactRowState = {
    ...c,
    email: c.email && t.emails.has(c.email.toLowerCase()) ? null : c.email,
    phone: c.phone && t.phones.has(c.phone) ? null : c.phone,
    external_id: c.external_id && t.externalIds.has(c.external_id) ? null : c.external_id,
    attributes,
    attribute_sources: sources,
    consent: { ...c.consent },
    subscriptions: { ...c.subscriptions },
  };
  // A choice of the person's leaves as no recorded choice (no entry reads as `unknown`).
  for (const { kind, key, choice } of choicesOf(c)) if (choice && t.choices.has(choice)) delete contact[kind][key];
  return {
    ...state,
    contact,
    tags: state.tags.filter((tag) => !t.tags.has(tagKey(tag))),
    lists: state.lists.filter((list) => !t.lists.has(listKey(list))),
  };
}

/**
 * Takes what the contacts `ids` (one person) gave other contacts through merges since undone
 * out of the copies the other merges keep: A←B, then A←C, then B unmerged leaves the A←C
 * record holding A as it was with B's values filled in, which A's export would show as A's and
 * which would outlive B's erasure. Their identity values go, each attribute value that is one
 * of their writes (same source, time and value), each tag and list row that is one of theirs,
 * and each consent or subscription choice of theirs (same status, source and time). Run
 * at an unmerge (the restored contact) and an erasure, before their own merge records go.
 */
export async function scrubMergeCopies(
  trx: Kysely<Database>,
  workspaceId: string,
  ids: readonly string[],
): Promise<void> {
  // Their rows as they are, and as each was when merged away (the copy a merge filled gaps from).
  const { rows: states } = await sql<Identity>`
    select email, phone, external_id, attributes, attribute_sources, consent, subscriptions,
      (select jsonb_agg(to_jsonb(t) - 'contact_id') from contact_tags t where t.contact_id = c.id) as tags,
      (select jsonb_agg(to_jsonb(l) - 'contact_id') from contact_lists l where l.contact_id = c.id) as lists
    from contacts c where id = any(${ids}::uuid[])
    union all
    select m.merged_before #>> '{contact,email}', m.merged_before #>> '{contact,phone}',
      m.merged_before #>> '{contact,external_id}', m.merged_before #> '{contact,attributes}',
      m.merged_before #> '{contact,attribute_sources}', m.merged_before #> '{contact,consent}',
      m.merged_before #> '{contact,subscriptions}', m.merged_before -> 'tags', m.merged_before -> 'lists'
    from contact_merges m where m.merged_id = any(${ids}::uuid[])`.execute(trx);
  const traces = tracesOf(states);
  const needles = [
    ...traces.emails,
    ...traces.phones,
    ...traces.externalIds,
    ...[...traces.writes.values()].flatMap((w) => [...w].map(timeOf)),
    ...[...traces.tags].map((t) => (JSON.parse(t) as string[])[2] as string),
    ...[...traces.lists, ...traces.choices].map(timeIn),
  ];
  if (!needles.length) return;
  // The records of the contacts they were merged into (what they filled in went only there, not
  // to contacts merged into them); their own records are theirs to keep (an erasure deletes
  // them). Copies naming a trace are rewritten.
  const { rows } = await sql<{
    id: string;
    survivor_before: ContactState;
    survivor_after: ContactState;
    merged_before: ContactState;
  }>`
    with partners as (select survivor_id as id from contact_merges where merged_id = any(${ids}::uuid[]))
    select id, survivor_before, survivor_after, merged_before from contact_merges m
    where m.workspace_id = ${workspaceId}
      and (m.survivor_id in (select id from partners) or m.merged_id in (select id from partners))
      and not (m.survivor_id = any(${ids}::uuid[]) or m.merged_id = any(${ids}::uuid[]))
      and exists (select 1 from unnest(${needles}::text[]) n
        where strpos(lower(m.survivor_before::text || m.survivor_after::text || m.merged_before::text), lower(n)) > 0)
    for update`.execute(trx);
  for (const r of rows)
    await sql`
      update contact_merges set
        survivor_before = ${JSON.stringify(scrub(r.survivor_before, traces))}::jsonb,
        survivor_after = ${JSON.stringify(scrub(r.survivor_after, traces))}::jsonb,
        merged_before = ${JSON.stringify(scrub(r.merged_before, traces))}::jsonb
      where id = ${r.id}`.execute(trx);
}
