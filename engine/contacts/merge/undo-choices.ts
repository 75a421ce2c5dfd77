import type { JsonObject, JsonValue } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { ownValue } from '../sources.js';
import { type ContactState, type ListRow, same, uniteConsent } from './state.js';

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
  unite(ours: T | undefined, theirs: T | undefined): T | undefined;
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
    if (!same(now[key], made[key])) continue;
    let value: T | undefined = was[key];
    for (const copy of copies) {
      put(copy.before, key, value);
      value = part.unite(value, copy.theirs[key]);
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
 * The survivor's consent, subscriptions and lists once merge `mergeId` is undone: a channel,
 * category or list changed since the merge keeps its value; one untouched since gets its value
 * from before the merge back, united again with the contacts merged in since and still merged
 * in. After A←B, then A←C, C's unsubscribe met B's on A and equal statuses kept A's (B's), C's
 * list met B's and kept B's earlier row; undoing B alone gave A its own `subscribed` back and
 * took the list off while C, unsubscribed and on the list, was still part of it. The later
 * merges' copies are rewritten as if B had never been merged, so that undoing C later gives A
 * its own back.
 */
export async function undoChoices(
  trx: Kysely<Database>,
  survivorId: string,
  mergeId: string,
  states: Record<'now' | 'after' | 'before', ContactState>,
): Promise<{ consent: JsonObject; subscriptions: JsonObject; lists: ListRow[] }> {
  const { rows: later } = await sql<LaterMerge>`
    select id, survivor_before, survivor_after, merged_before from contact_merges
    where survivor_id = ${survivorId} and unmerged_at is null
      and merged_at > (select merged_at from contact_merges where id = ${mergeId})
    order by merged_at, id for update`.execute(trx);
  const result = {
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
