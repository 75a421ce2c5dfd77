import type { JsonObject, JsonValue } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { loadPrecedence, ownValue, rank, type SourcePrecedence } from '../sources.js';
import { type ContactRowState, type ContactState, type ListRow, same, uniteConsent } from './state.js';

/** A merge into the survivor made after the one being undone, and not undone itself. */
interface LaterMerge {
  id: string;
  survivor_before: ContactState;
  survivor_after: ContactState;
  merged_before: ContactState;
}

/** One part of a contact's state that a merge unites key by key. */
interface Part<T> {
  read(state: ContactState): Record<string, T>;
  write(state: ContactState, values: Record<string, T>): void;
  unite(ours: T | undefined, theirs: T | undefined, key: string): T | undefined;
}

const choices = (kind: 'consent' | 'subscriptions'): Part<JsonValue> => ({
  read: (s) => s.contact[kind] ?? {},
  write: (s, values) => {
    s.contact[kind] = values as JsonObject;
  },
  unite: (ours, theirs) =>
    ownValue(uniteConsent(ours === undefined ? {} : { k: ours }, theirs === undefined ? {} : { k: theirs }), 'k'),
});

/** Lists united: a list either holds, the earlier `addedAt` when both do. */
const lists: Part<ListRow> = {
  read: (s) => Object.fromEntries(s.lists.map((l) => [l.list, l])),
  write: (s, values) => {
    s.lists = Object.values(values).sort((a, b) => a.list.localeCompare(b.list));
  },
  unite: (ours, theirs) =>
    !ours || !theirs ? (ours ?? theirs) : Date.parse(theirs.added_at) < Date.parse(ours.added_at) ? theirs : ours,
};

/** Own keys only: a list or attribute may be named like an Object method (`toString`). */
const own = <T>(from: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(from, key) ? from[key] : undefined;

/** Identity fields and time zone: the survivor's, gaps filled from the other; `created_at` the earlier. */
type Identity = Pick<ContactRowState, 'email' | 'phone' | 'external_id' | 'timezone' | 'created_at'>;
const identity: Part<string | null> = {
  read: ({ contact: c }) => ({
    email: c.email,
    phone: c.phone,
    external_id: c.external_id,
    timezone: c.timezone,
    created_at: c.created_at,
  }),
  write: (s, values) => {
    Object.assign(s.contact, values as Partial<Identity>);
  },
  unite: (ours, theirs, key) =>
    key === 'created_at' && ours && theirs
      ? Date.parse(theirs) < Date.parse(ours)
        ? theirs
        : ours
      : (ours ?? theirs ?? null),
};

/** An attribute's value with the source entry of the write that set it. */
interface Written {
  value: JsonValue;
  source?: JsonValue;
}

/** Attributes: the survivor's value, gaps filled, unless the precedence ranks the other's source higher. */
const attributes = (precedence: SourcePrecedence): Part<Written> => ({
  read: ({ contact: c }) =>
    Object.fromEntries(
      Object.keys(c.attributes).map((key) => {
        const source = ownValue(c.attribute_sources, key);
        return [key, { value: c.attributes[key] as JsonValue, ...(source === undefined ? {} : { source }) }];
      }),
    ),
  write: (s, values) => {
    const entries = Object.entries(values);
    s.contact.attributes = Object.fromEntries(entries.map(([key, w]) => [key, w.value]));
    s.contact.attribute_sources = Object.fromEntries(
      entries.flatMap(([key, w]) => (w.source === undefined ? [] : [[key, w.source]])),
    );
  },
  unite: (ours, theirs, key) => {
    if (!ours || !theirs) return ours ?? theirs;
    const sourceOf = (w: Written) => (w.source as { source?: string } | undefined)?.source;
    return rank(precedence, key, sourceOf(theirs)) < rank(precedence, key, sourceOf(ours)) ? theirs : ours;
  },
});

const put = <T>(into: Record<string, T>, key: string, value: T | undefined) => {
  if (value === undefined) delete into[key];
  else into[key] = value;
};

/**
 * One part undone: a key changed since the merge keeps its value; one untouched since gets its
 * value from before the merge back, united again with each later merge (whose copies are
 * rewritten to match).
 */
function undoPart<T>(part: Part<T>, states: Record<'now' | 'after' | 'before', ContactState>, later: LaterMerge[]) {
  const [now, made, was] = [part.read(states.now), part.read(states.after), part.read(states.before)];
  const out = { ...now };
  const copies = later.map((m) => ({
    before: { ...part.read(m.survivor_before) },
    after: { ...part.read(m.survivor_after) },
    theirs: part.read(m.merged_before),
  }));
  for (const key of new Set([...Object.keys(made), ...Object.keys(was)])) {
    if (!same(own(now, key), own(made, key))) continue;
    let value = own(was, key);
    for (const copy of copies) {
      put(copy.before, key, value);
      value = part.unite(value, own(copy.theirs, key), key);
      put(copy.after, key, value);
    }
    put(out, key, value);
  }
  copies.forEach((copy, i) => {
    const m = later[i] as LaterMerge;
    part.write(m.survivor_before, copy.before);
    part.write(m.survivor_after, copy.after);
  });
  return out;
}

/**
 * What the survivor holds once merge `mergeId` is undone, part by part (identity fields, time
 * zone and `createdAt`, attributes with their sources, consent, subscriptions, lists): a key
 * changed since the merge keeps its value; one untouched since gets its value from before the
 * merge back, united again, as a merge unites, with the contacts merged in since and still
 * merged in. After A←B, then A←C, C's merge found B's values on A: equal consent kept A's (B's
 * unsubscribe), a list both held kept B's earlier row, a phone or attribute B had filled in
 * kept B's; undoing B alone gave A what it was before B while C, unsubscribed, on the list and
 * with its own phone and attributes, was still part of it. The later merges' copies are
 * rewritten as if B had never been merged, so that undoing C later gives A its own back.
 */
export async function undoUnited(
  trx: Kysely<Database>,
  workspaceId: string,
  survivorId: string,
  mergeId: string,
  states: Record<'now' | 'after' | 'before', ContactState>,
): Promise<{
  identity: Identity;
  attributes: JsonObject;
  sources: JsonObject;
  consent: JsonObject;
  subscriptions: JsonObject;
  lists: ListRow[];
}> {
  const { rows: later } = await sql<LaterMerge>`
    select id, survivor_before, survivor_after, merged_before from contact_merges
    where survivor_id = ${survivorId} and unmerged_at is null
      and merged_at > (select merged_at from contact_merges where id = ${mergeId})
    order by merged_at, id for update`.execute(trx);
  const united = undoPart(attributes(await loadPrecedence(trx, workspaceId)), states, later);
  const written = Object.entries(united);
  const result = {
    identity: undoPart(identity, states, later) as unknown as Identity,
    attributes: Object.fromEntries(written.map(([key, w]) => [key, w.value])),
    sources: Object.fromEntries(written.flatMap(([key, w]) => (w.source === undefined ? [] : [[key, w.source]]))),
    consent: undoPart(choices('consent'), states, later) as JsonObject,
    subscriptions: undoPart(choices('subscriptions'), states, later) as JsonObject,
    lists: Object.values(undoPart(lists, states, later)),
  };
  for (const m of later)
    await sql`
      update contact_merges set survivor_before = ${JSON.stringify(m.survivor_before)}::jsonb,
        survivor_after = ${JSON.stringify(m.survivor_after)}::jsonb
      where id = ${m.id}`.execute(trx);
  return result;
}
