import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { newId } from '../../db/ids.js';
import type { WithinChange } from '../../db/transaction.js';
import { mergeNamedContacts } from '../merge/auto-merge.js';
import { loadPrecedence, writeAttributes } from '../sources.js';
import { IDENTITY_FIELDS, type IdentityField, type NormalizedInput } from './normalize.js';
import { type Entity, lockedContacts, RetryBatch, writeContacts } from './upsert-entities.js';

/** One row's result: the contact it created or updated, or why it failed. */
export type UpsertOutcome =
  | { ok: true; contactId: string; created: boolean /** Automatic merges the row made. */; merged: number }
  | {
      ok: false;
      field?: string;
      error: string;
      /** The row itself is wrong (400 `validation_failed`), not in conflict with stored contacts (409). */
      invalid?: true;
    };

export interface UpsertOptions {
  /** False forbids automatic merges (a journey's setting); the workspace's settings decide otherwise. */
  autoMerge?: boolean;
  /** The source of rows that name none (default `api`). */
  source?: string;
  /**
   * Rows typed into a public form by someone who proved nothing (`stranger`), or who proved
   * the email by a double opt-in's click (`email-owner`). Such a row never changes who a
   * contact is: it matches by its email alone and merges nothing; its phone and externalId
   * only fill a field its contact holds none of, with a value no other contact holds, and a
   * stranger's only on the contact the row creates. Other values are left out, silently, so
   * the answer tells nobody which values are known.
   */
  submitter?: 'stranger' | 'email-owner';
  /** Runs in the upsert's transaction with the outcomes, the rows' contacts still locked. */
  onUpserted?: WithinChange<UpsertOutcome[]>;
}

// Unique violation, deadlock, serialization failure: a concurrent writer won; look again.
const RETRY_CODES = new Set(['23505', '40P01', '40001']);

/**
 * Upserts many contacts in set-based SQL: one locking SELECT, one INSERT, one UPDATE.
 * Each row matches by externalId, then email, then phone (rows of one batch that name the
 * same person merge in order); attributes merge key by key. Concurrent upserts of one new
 * identity create one contact: the loser of the unique-index race retries the batch.
 *
 * @example
 * const [r] = await upsertContacts(db, workspaceId, [{ email: 'ann@x.io', attributes: { plan: 'pro' } }]);
 */
export async function upsertContacts(
  db: Kysely<Database>,
  workspaceId: string,
  rows: readonly NormalizedInput[],
  options: UpsertOptions = {},
): Promise<UpsertOutcome[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (!db.isTransaction)
        return await db.transaction().execute(async (trx) => {
          const outcomes = await upsertOnce(trx, workspaceId, rows, options);
          await options.onUpserted?.(trx, outcomes);
          return outcomes;
        });
      // Inside the caller's transaction: a savepoint lets a lost race be retried.
      await sql`savepoint waymark_upsert`.execute(db);
      try {
        const outcomes = await upsertOnce(db, workspaceId, rows, options);
        await options.onUpserted?.(db, outcomes);
        await sql`release savepoint waymark_upsert`.execute(db);
        return outcomes;
      } catch (error) {
        await sql`rollback to savepoint waymark_upsert`.execute(db);
        throw error;
      }
    } catch (error) {
      const code = (error as { code?: string }).code;
      const again = error instanceof RetryBatch || (code !== undefined && RETRY_CODES.has(code));
      if (!again || attempt >= 8) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
  }
}

async function upsertOnce(
  trx: Kysely<Database>,
  workspaceId: string,
  rows: readonly NormalizedInput[],
  options: UpsertOptions,
): Promise<UpsertOutcome[]> {
  // Identities naming two contacts make them one first, where allowed (contract identity.md).
  const merged = await mergeNamedContacts(trx, workspaceId, rows, options.autoMerge !== false && !options.submitter);
  const precedence = await loadPrecedence(trx, workspaceId);
  const at = new Date().toISOString();
  const { entities, byId, index, remember } = await lockedContacts(trx, workspaceId, rows);

  const { submitter } = options;
  // A submitter's value goes only into an empty field, and only when no contact holds it.
  const claimable = (target: Entity, f: IdentityField, v: string, mayFill: boolean) =>
    f === 'email' || (mayFill && target[f] === null && !index[f].has(v));
  const outcomes = rows.map((row, i): UpsertOutcome => {
    let target = row.contactId ? byId.get(row.contactId) : undefined;
    if (row.contactId && !target) return { ok: false, field: 'contactId', error: `no contact ${row.contactId}` };
    if (submitter) target = row.email ? index.email.get(row.email) : undefined;
    else for (const f of IDENTITY_FIELDS) target ??= row[f] ? index[f].get(row[f]) : undefined;
    for (const f of submitter ? [] : IDENTITY_FIELDS) {
      const other = row[f] ? index[f].get(row[f]) : undefined;
      if (other && target && other !== target)
        return { ok: false, field: f, error: `${f} belongs to another contact than the one ${firstField(row)} names` };
    }
    const clear = submitter ? [] : (row.clear ?? []);
    if (clear.length) {
      const refused = refusedClear(row, clear, target, (f, v) => index[f].has(v));
      if (refused) return refused;
      for (const f of clear) {
        const held = target?.[f];
        if (!target || !held) continue;
        if (index[f].get(held) === target) index[f].delete(held);
        target[f] = null;
      }
    }
    const created = !target;
    if (!target) {
      target = {
        id: newId(),
        existing: false,
        touched: true,
        externalId: null,
        email: null,
        phone: null,
        timezone: null,
        attributes: {},
        sources: {},
      };
      entities.push(target);
    }
    for (const f of IDENTITY_FIELDS) {
      const v = row[f];
      if (submitter && v && !claimable(target, f, v, created || submitter === 'email-owner')) continue;
      // A value the target holds through a contact merged into it stays that contact's.
      if (v && target[f] !== v && index[f].get(v) !== target) {
        if (target[f]) index[f].delete(target[f]);
        target[f] = v;
        target.touched = true;
      }
    }
    if (row.timezone !== undefined) target.timezone = row.timezone;
    if (row.attributes) {
      const source = row.source ?? options.source ?? 'api';
      const written = writeAttributes(target, row.attributes, source, precedence, at);
      target.attributes = written.attributes;
      target.sources = written.sources;
    }
    target.touched = true;
    remember(target);
    return { ok: true, contactId: target.id, created, merged: merged[i] ?? 0 };
  });

  await writeContacts(trx, workspaceId, entities);
  return outcomes;
}

/**
 * Why a row may not clear the fields it gives as null, if it may not: it names no contact
 * (null clears a field of the contact the row's other identity fields name), or the contact
 * would be left holding no email, phone or externalId of its own.
 */
function refusedClear(
  row: NormalizedInput,
  clear: readonly IdentityField[],
  target: Entity | undefined,
  held: (f: IdentityField, v: string) => boolean,
): UpsertOutcome | undefined {
  const [first] = clear;
  if (!first || (!target && IDENTITY_FIELDS.some((f) => row[f]))) return undefined;
  if (!target)
    return {
      ok: false,
      invalid: true,
      field: first,
      error: `${first}: null clears the ${first} of the contact the other identity fields name, and none is given`,
    };
  // A given value stored on the contact, or already its own, stays; one it holds only through
  // a contact merged into it stays that contact's.
  const keeps = (f: IdentityField) => {
    const v = row[f];
    return !clear.includes(f) && (target[f] !== null || (v !== undefined && !held(f, v)));
  };
  if (IDENTITY_FIELDS.some(keeps)) return undefined;
  return {
    ok: false,
    invalid: true,
    field: first,
    error: `${first}: null would leave the contact without an email, phone or externalId of its own; give another first`,
  };
}

function firstField(row: NormalizedInput): string {
  return row.contactId ? 'contactId' : (IDENTITY_FIELDS.find((f) => row[f]) ?? 'identity');
}
