import { ConflictError, type JsonObject, NotFoundError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { refreshContacts } from '../../computed/refresh.js';
import type { Database } from '../../db/database.js';
import { isUuid } from '../../db/ids.js';
import type { WithinChange } from '../../db/transaction.js';
import { newTally, type RunTally, recordEvent } from '../../events/record.js';
import { lockContact } from '../lock.js';
import { loadPrecedence, rank } from '../sources.js';
import { moveRows, uniteMemberships } from './rows.js';
import { type ContactState, readState, uniteAttributes, uniteConsent } from './state.js';
import { mergeUnits } from './units.js';

/** Attempts when a merge meets a deadlock with a writer of either contact at that instant. */
const ATTEMPTS = 4;

/** Runs `fn` in a transaction (or the caller's), again after a deadlock when it owns the transaction. */
export async function inContactTransaction<T>(
  db: Kysely<Database>,
  fn: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return fn(db);
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(fn);
    } catch (error) {
      // 40P01: an event or send of either contact took its locks in the other order; again.
      if (attempt >= ATTEMPTS || (error as { code?: string }).code !== '40P01') throw error;
    }
  }
}

/**
 * Locks two contacts for a merge or an unmerge: their advisory locks (sends hold them), then
 * their rows FOR UPDATE, which makes every insert naming either wait (trigger
 * `waymark_contact_survivor`), in id order. Answers the rows, or 404 naming the missing one.
 */
export async function lockPair(
  trx: Kysely<Database>,
  workspaceId: string,
  survivorId: string,
  otherId: string,
): Promise<{ survivor: ContactState; other: ContactState }> {
  for (const id of [survivorId, otherId]) if (!isUuid(id)) throw new NotFoundError(`no contact ${id}`);
  for (const id of [survivorId, otherId].sort()) await lockContact(trx, id);
  const { rows } = await sql<{ id: string }>`
    select id from contacts where id in (${survivorId}, ${otherId}) and workspace_id = ${workspaceId}
    order by id for update`.execute(trx);
  for (const id of [survivorId, otherId])
    if (!rows.some((r) => r.id === id)) throw new NotFoundError(`no contact ${id}`);
  return { survivor: await readState(trx, survivorId), other: await readState(trx, otherId) };
}

/**
 * Merges contact `fromId` into `survivorId` in one transaction (contract identity.md "Merging
 * contacts"): its events, messages, runs, leads and waits move; tags, lists and segment
 * memberships unite; consent, subscriptions and attributes unite; identity gaps fill from it;
 * it then points at the survivor, as do the contacts merged into it before. Records
 * `contact.merged` on the survivor. 404 for an unknown contact, 409 for a merge that cannot be.
 * Answers the runs it started, whose trigger steps the caller counts once it committed.
 *
 * @example
 * const started = await mergeContacts(db, workspaceId, keepId, dropId, { automatic: false });
 * countTriggerSteps(runtime.metrics, started);
 */
export async function mergeContacts(
  db: Kysely<Database>,
  workspaceId: string,
  survivorId: string,
  fromId: string,
  options: { automatic: boolean },
  /** Runs in the merge's transaction once it is made, both contacts locked. */
  onMerged?: WithinChange,
): Promise<RunTally> {
  return inContactTransaction(db, async (trx) => {
    const locked = await lockPair(trx, workspaceId, survivorId, fromId);
    const [survivor, other] = [locked.survivor.contact, locked.other.contact];
    if (survivorId === fromId) throw new ConflictError('a contact cannot be merged into itself');
    if (survivor.merged_into) throw new ConflictError(`contact ${survivorId} was merged into ${survivor.merged_into}`);
    if (other.merged_into === survivorId) throw new ConflictError(`contact ${fromId} is already merged into it`);
    if (other.merged_into) throw new ConflictError(`contact ${fromId} was merged into ${other.merged_into}`);

    const [survivorBefore, mergedBefore] = [locked.survivor, locked.other];
    // What the merged-away contact's computed values were: a trigger it entered is not entered again.
    const { rows: held } = await sql<{ computed: JsonObject }>`
      select computed from contacts where id = ${fromId}`.execute(trx);
    const chained = await sql<{ id: string }>`
      update contacts set merged_into = ${survivorId} where merged_into = ${fromId} returning id`.execute(trx);
    // Its identity values stay on it (they go on naming the survivor), so it leaves the unique
    // identity indexes before the survivor takes them over.
    await sql`update contacts set merged_into = ${survivorId}, updated_at = now() where id = ${fromId}`.execute(trx);
    const moved = await moveRows(trx, fromId, survivorId);
    await uniteMemberships(trx, fromId, survivorId);
    await mergeUnits(trx, survivorBefore, fromId);

    const precedence = await loadPrecedence(trx, workspaceId);
    const { attributes, sources } = uniteAttributes(
      survivor,
      other,
      (key, mine, theirs) => rank(precedence, key, theirs) < rank(precedence, key, mine),
    );
    await sql`
      update contacts set
        email = coalesce(email, ${other.email}), phone = coalesce(phone, ${other.phone}),
        external_id = coalesce(external_id, ${other.external_id}), timezone = coalesce(timezone, ${other.timezone}),
        attributes = ${JSON.stringify(attributes)}::jsonb, attribute_sources = ${JSON.stringify(sources)}::jsonb,
        consent = ${JSON.stringify(uniteConsent(survivor.consent, other.consent))}::jsonb,
        subscriptions = ${JSON.stringify(uniteConsent(survivor.subscriptions, other.subscriptions))}::jsonb,
        created_at = least(created_at, ${other.created_at}::timestamptz), updated_at = now()
      where id = ${survivorId}`.execute(trx);

    const survivorAfter = await readState(trx, survivorId);
    await sql`
      insert into contact_merges (workspace_id, survivor_id, merged_id, automatic,
        survivor_before, survivor_after, merged_before, moved, chained)
      values (${workspaceId}, ${survivorId}, ${fromId}, ${options.automatic},
        ${JSON.stringify(survivorBefore)}::jsonb, ${JSON.stringify(survivorAfter)}::jsonb,
        ${JSON.stringify(mergedBefore)}::jsonb, ${JSON.stringify(moved)}::jsonb,
        ${chained.rows.map((r) => r.id)}::uuid[])`.execute(trx);
    const properties: JsonObject = { mergedId: fromId, automatic: options.automatic };
    // A tally of this attempt's own: a merge tried again after a deadlock starts its runs again.
    const started = newTally();
    await recordEvent(trx, { contactId: survivorId, name: 'contact.merged', properties }, started);
    const formerly = new Map([[survivorId, held[0]?.computed ?? {}]]);
    started.computedRunsStarted += await refreshContacts(trx, workspaceId, [survivorId], 'any', formerly);
    await onMerged?.(trx);
    return started;
  });
}
