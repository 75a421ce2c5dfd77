import { ConflictError, NotFoundError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { refreshContacts } from '../../computed/refresh.js';
import type { Database } from '../../db/database.js';
import type { WithinChange } from '../../db/transaction.js';
import { newTally, type RunTally, recordEvent } from '../../events/record.js';
import { inContactTransaction, lockPair } from './merge.js';
import { type MovedRows, moveRowsBack, returnRunWaits, writeMemberships } from './rows.js';
import { scrubMergeCopies } from './scrub-copies.js';
import { type ContactState, type SegmentRow, undoKeys, undoTags } from './state.js';
import { undoUnited } from './undo-united.js';
import { unmergeUnits } from './units.js';

interface MergeRecord {
  id: string;
  reversible_until: Date;
  survivor_before: ContactState;
  survivor_after: ContactState;
  merged_before: ContactState;
  moved: MovedRows;
  chained: string[];
}

/** Rows keyed by `key(row)`, undone one by one as `undoKeys` undoes keys. */
function undoRows<T extends object>(current: T[], after: T[], before: T[], key: (row: T) => string): T[] {
  const index = (rows: T[]) => Object.fromEntries(rows.map((r) => [key(r), r]));
  const undone = undoKeys(index(current) as never, index(after) as never, index(before) as never);
  return Object.values(undone) as unknown as T[];
}

/**
 * Undoes the merge of `fromId` into `survivorId` within 30 days (contract identity.md): the
 * restored contact gets back its fields, tags, lists and segment memberships as they were
 * before the merge and every row the merge moved; the survivor gets back what the merge
 * changed and has not changed since, united again with the contacts merged in since
 * (`undoUnited`; tags `undoTags`).
 * Records `contact.unmerged` on the survivor. 404 when `fromId` is not merged into it, 409 past
 * the deadline or while the survivor is itself merged away. Answers the runs it started, whose
 * trigger steps the caller counts once it committed (`countTriggerSteps`).
 */
export async function unmergeContacts(
  db: Kysely<Database>,
  workspaceId: string,
  survivorId: string,
  fromId: string,
  /** Runs in the unmerge's transaction once it is undone, both contacts locked. */
  onUnmerged?: WithinChange,
): Promise<RunTally> {
  return inContactTransaction(db, async (trx) => {
    const { survivor } = await lockPair(trx, workspaceId, survivorId, fromId);
    const { rows } = await sql<MergeRecord>`
      select id, reversible_until, survivor_before, survivor_after, merged_before, moved, chained
      from contact_merges
      where survivor_id = ${survivorId} and merged_id = ${fromId} and workspace_id = ${workspaceId}
        and unmerged_at is null
      order by merged_at desc limit 1`.execute(trx);
    const merge = rows[0];
    if (!merge) throw new NotFoundError(`contact ${fromId} is not merged into ${survivorId}`);
    if (survivor.contact.merged_into)
      throw new ConflictError(`contact ${survivorId} is itself merged into ${survivor.contact.merged_into}`);
    if (new Date(merge.reversible_until).getTime() < Date.now())
      throw new ConflictError(`the merge can be undone until ${new Date(merge.reversible_until).toISOString()}`);

    // The survivor first: it gives back the identity values it took, before the restored
    // contact holds them again under the unique indexes.
    const kept = await undoUnited(trx, workspaceId, survivorId, merge.id, {
      now: survivor,
      after: merge.survivor_after,
      before: merge.survivor_before,
    });
    const { email, phone, external_id, timezone, created_at } = kept.identity;
    await sql`
      update contacts set email = ${email}, phone = ${phone}, external_id = ${external_id}, timezone = ${timezone},
        attributes = ${JSON.stringify(kept.attributes)}::jsonb,
        attribute_sources = ${JSON.stringify(kept.sources)}::jsonb,
        consent = ${JSON.stringify(kept.consent)}::jsonb,
        subscriptions = ${JSON.stringify(kept.subscriptions)}::jsonb,
        created_at = ${created_at}::timestamptz, updated_at = now()
      where id = ${survivorId}`.execute(trx);
    const segment = (m: SegmentRow) => `${m.journey_id}/${m.node_id}`;
    await writeMemberships(trx, survivorId, {
      tags: undoTags(survivor.tags, merge.survivor_after.tags, merge.survivor_before.tags),
      lists: kept.lists,
      segments: undoRows(
        survivor.segments ?? [],
        merge.survivor_after.segments ?? [],
        merge.survivor_before.segments ?? [],
        segment,
      ),
    });

    await sql`update contacts set merged_into = null, updated_at = now() where id = ${fromId}`.execute(trx);
    await writeMemberships(trx, fromId, { segments: [], ...merge.merged_before });
    await moveRowsBack(trx, merge.moved, survivorId, fromId);
    await returnRunWaits(trx, survivorId, fromId);
    await unmergeUnits(trx, survivor, fromId, merge);
    if (merge.chained.length)
      await sql`
        update contacts set merged_into = ${fromId}
        where id = any(${merge.chained}::uuid[]) and merged_into = ${survivorId}`.execute(trx);
    await sql`update contact_merges set unmerged_at = now() where id = ${merge.id}`.execute(trx);
    // Another person again: what it filled in on the survivor leaves the survivor's other merge copies.
    await scrubMergeCopies(trx, workspaceId, [fromId]);
    // A tally of this attempt's own: an unmerge tried again after a deadlock starts its runs again.
    const started = newTally();
    const properties = { restoredId: fromId };
    await recordEvent(trx, { contactId: survivorId, name: 'contact.unmerged', properties }, started);
    started.computedRunsStarted += await refreshContacts(trx, workspaceId, [survivorId, fromId]);
    await onUnmerged?.(trx);
    return started;
  });
}
