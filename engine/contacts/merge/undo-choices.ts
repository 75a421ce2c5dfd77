import type { JsonObject, JsonValue } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { ownValue } from '../sources.js';
import { type ContactRowState, type ContactState, same, uniteConsent } from './state.js';

type Choices = Pick<ContactRowState, 'consent' | 'subscriptions'>;
const KINDS = ['consent', 'subscriptions'] as const;

/** A merge into the survivor made after the one being undone, and not undone itself. */
interface LaterMerge {
  id: string;
  survivor_before: ContactState;
  survivor_after: ContactState;
  merged_before: ContactState;
}

const put = (into: JsonObject, key: string, value: JsonValue | undefined) => {
  if (value === undefined) delete into[key];
  else into[key] = value;
};

/**
 * The survivor's consent and subscriptions once merge `mergeId` is undone: a channel or
 * category chosen since the merge keeps its choice; one untouched since gets its value from
 * before the merge back, united again with the contacts merged in since and still merged in.
 * After A←B, then A←C, C's unsubscribe met B's there and equal statuses kept A's (B's); undoing
 * B alone gave A its own `subscribed` back while C, unsubscribed, was still part of it. The
 * later merges' copies are rewritten as if B had never been merged, so that undoing C later
 * gives A its own choice back.
 */
export async function undoChoices(
  trx: Kysely<Database>,
  survivorId: string,
  mergeId: string,
  states: { now: Choices; after: Choices; before: Choices },
): Promise<Choices> {
  const { rows: later } = await sql<LaterMerge>`
    select id, survivor_before, survivor_after, merged_before from contact_merges
    where survivor_id = ${survivorId} and unmerged_at is null
      and merged_at > (select merged_at from contact_merges where id = ${mergeId})
    order by merged_at, id for update`.execute(trx);
  const { now, after, before } = states;
  const out: Choices = { consent: { ...now.consent }, subscriptions: { ...(now.subscriptions ?? {}) } };
  for (const kind of KINDS) {
    const [was, made] = [before[kind] ?? {}, after[kind] ?? {}];
    for (const key of new Set([...Object.keys(made), ...Object.keys(was)])) {
      if (!same(ownValue(now[kind] ?? {}, key), ownValue(made, key))) continue;
      let value = ownValue(was, key);
      for (const m of later) {
        const [copyBefore, copyAfter] = [m.survivor_before.contact, m.survivor_after.contact];
        copyBefore[kind] = { ...(copyBefore[kind] ?? {}) };
        put(copyBefore[kind], key, value);
        const theirs = ownValue(m.merged_before.contact[kind] ?? {}, key);
        const united = uniteConsent(
          value === undefined ? {} : { [key]: value },
          theirs === undefined ? {} : { [key]: theirs },
        );
        value = ownValue(united, key);
        copyAfter[kind] = { ...(copyAfter[kind] ?? {}) };
        put(copyAfter[kind], key, value);
      }
      put(out[kind], key, value);
    }
  }
  for (const m of later)
    await sql`
      update contact_merges set survivor_before = ${JSON.stringify(m.survivor_before)}::jsonb,
        survivor_after = ${JSON.stringify(m.survivor_after)}::jsonb
      where id = ${m.id}`.execute(trx);
  return out;
}
