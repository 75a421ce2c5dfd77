import { createHmac } from 'node:crypto';
import { NotFoundError } from '@waymark/sdk';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { isUuid } from '../../db/ids.js';
import type { WithinChange } from '../../db/transaction.js';
import { STEP_TASK } from '../../runs/bookkeeping.js';
import { endRuns } from '../../runs/end-runs.js';
import { lockContact } from '../lock.js';
import { scrubMergeCopies } from '../merge/scrub-copies.js';
import { tableExists, tablesWithColumn } from './gdpr-tables.js';

/** Rows deleted per statement: each stays short whatever the contact's history (100k events). */
export const ERASE_BATCH = 5000;
/** Attempts when the erase meets a deadlock with a step finishing for the contact at that instant. */
const ATTEMPTS = 3;

// Child rows first, so that foreign keys never block a delete.
const SWEEP_ORDER = ['step_id', 'message_id', 'lead_id', 'run_id', 'contact_id'] as const;
type IdColumn = (typeof SWEEP_ORDER)[number];

/** Deletes the rows of `table` matching `where`, `ERASE_BATCH` at a time. */
async function deleteInBatches(trx: Kysely<Database>, table: string, where: RawBuilder<unknown>): Promise<void> {
  for (;;) {
    const result = await sql`
      delete from ${sql.table(table)} where ctid = any(array(
        select ctid from ${sql.table(table)} where ${where} limit ${ERASE_BATCH}))`.execute(trx);
    if (Number(result.numAffectedRows ?? 0) < ERASE_BATCH) return;
  }
}

/**
 * The ids that make a row the contact's, per column, as subqueries read at each delete: the
 * contact, its runs, their steps, and the messages and leads of the contact or of its runs.
 */
function idsOf(contactId: string): Record<IdColumn, RawBuilder<unknown>> {
  const runs = sql`select r.id from runs r where r.contact_id = ${contactId}::uuid`;
  return {
    contact_id: sql`select ${contactId}::uuid as id`,
    run_id: runs,
    step_id: sql`select s.id from steps s where s.run_id in (${runs})`,
    message_id: sql`select m.id from messages m where m.contact_id = ${contactId}::uuid or m.run_id in (${runs})`,
    lead_id: sql`select l.id from leads l where l.contact_id = ${contactId}::uuid or l.run_id in (${runs})`,
  };
}

/**
 * Erases a contact (GDPR) under its lock (`lockContact`, the one sends take): ends its live
 * runs, drops their queued jobs, deletes every row that is the contact's (by its id, its runs,
 * steps, messages and leads; bounce suppressions of its address too, matched
 * case-insensitively; its and its merged-away contacts' split assignments; the idempotency keys
 * of webhook calls that started its runs) in batches, and leaves an erasure record holding only
 * keyed hashes. One transaction. Rows of journeys, versions, settings, credentials and other contacts are never
 * touched, even where they hold the same address.
 */
export async function eraseContact(
  db: Kysely<Database>,
  workspaceId: string,
  contactId: string,
  secretKey: Buffer,
  /** Runs in the erasure's transaction once the contact is erased. */
  onErased?: WithinChange,
): Promise<void> {
  if (!isUuid(contactId)) throw new NotFoundError(`no contact ${contactId}`);
  for (let attempt = 1; ; attempt++) {
    try {
      return await eraseOnce(db, workspaceId, contactId, secretKey, onErased);
    } catch (error) {
      // 40P01: a step of the contact's run finishing at this instant; the retry sees it done.
      if (attempt >= ATTEMPTS || (error as { code?: string }).code !== '40P01') throw error;
    }
  }
}

async function eraseOnce(
  db: Kysely<Database>,
  workspaceId: string,
  contactId: string,
  secretKey: Buffer,
  onErased?: WithinChange,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockContact(trx, contactId);
    const found = await sql<{ email: string | null; phone: string | null; external_id: string | null }>`
      select email, phone, external_id from contacts where id = ${contactId} and workspace_id = ${workspaceId}
      for update`.execute(trx);
    const contact = found.rows[0];
    if (!contact) throw new NotFoundError(`no contact ${contactId}`);
    const hash = (v: string) => createHmac('sha256', secretKey).update(v).digest('hex');

    if (await tableExists(trx, 'runs')) await endRuns(trx, { contactId }, 'exited');
    const ids = idsOf(contactId);
    // Its queued steps leave their jobs: a job carries a batch of steps (other contacts' too),
    // so the contact's entries are taken out and a job left with none goes. A job already
    // running finds the steps gone.
    await sql`
      with mine as (select coalesce(array_agg(id::text), '{}') as ids from (${ids.step_id}) x(id)),
      entries as (
        select j.id, e.value as entry, e.value->>'stepId' = any(mine.ids) as erased
        from graphile_worker._private_jobs j
        join graphile_worker._private_tasks t on t.id = j.task_id
        cross join mine
        cross join lateral jsonb_array_elements(
          case when jsonb_typeof(j.payload::jsonb) = 'array' then j.payload::jsonb else jsonb_build_array(j.payload::jsonb) end
        ) e
        where t.identifier = ${STEP_TASK} and j.locked_at is null
      ),
      touched as (
        select id, coalesce(jsonb_agg(entry) filter (where not erased), '[]'::jsonb) as rest
        from entries group by id having bool_or(erased)
      ),
      dropped as (
        delete from graphile_worker._private_jobs j using touched
        where j.id = touched.id and touched.rest = '[]'::jsonb
      )
      update graphile_worker._private_jobs j set payload = touched.rest::json
      from touched where j.id = touched.id and touched.rest <> '[]'::jsonb`.execute(trx);

    // A webhook call's idempotency key is the caller's text (it may hold the address) and its
    // answer names the run: the contact's go with its runs, so a repeat is a new call, as a
    // repeated event key is once the event is erased. A call that started no run is known by
    // the contact it named (migration 0085), a merged-away contact's among them: a merge moves
    // no key.
    if (await tableExists(trx, 'webhook_keys'))
      await deleteInBatches(
        trx,
        'webhook_keys',
        sql`(response ->> 'runId') in (select id::text from (${ids.run_id}) x(id))
          or contact_id in (select ${contactId}::uuid union all select id from contacts where merged_into = ${contactId}::uuid)`,
      );
    for (const column of SWEEP_ORDER) {
      for (const { table, type } of await tablesWithColumn(trx, column)) {
        if (table === 'contacts' || table === 'erasures') continue;
        const match =
          type === 'uuid'
            ? sql`${sql.ref(column)} in (${ids[column]})`
            : sql`${sql.ref(column)}::text in (select id::text from (${ids[column]}) x(id))`;
        await deleteInBatches(trx, table, match);
      }
    }
    // A bounce suppression of its address recorded without a contact is the contact's too.
    if (contact.email && (await tableExists(trx, 'email_suppressions')))
      await deleteInBatches(
        trx,
        'email_suppressions',
        sql`contact_id is null and workspace_id = ${workspaceId} and lower(address) = lower(${contact.email})`,
      );
    // A split's experiment unit is the contact's id as text, in no contact_id column the sweep
    // finds; a merge made before merges moved units left a merged-away contact's under its own id.
    if (await tableExists(trx, 'split_units'))
      await deleteInBatches(
        trx,
        'split_units',
        sql`workspace_id = ${workspaceId} and unit in (select ${contactId}::text
          union all select id::text from contacts where merged_into = ${contactId}::uuid)`,
      );
    await scrubMergeCopies(trx, workspaceId, [
      contactId,
      ...(await sql<{ id: string }>`select id from contacts where merged_into = ${contactId}`.execute(trx)).rows.map(
        (r) => r.id,
      ),
    ]);
    // Contacts merged into it are the same person: they go with it (their rows moved to it).
    const merged = await sql<{ id: string; email: string | null; phone: string | null; external_id: string | null }>`
      delete from contacts where merged_into = ${contactId} returning id, email, phone, external_id`.execute(trx);
    await trx.deleteFrom('contacts').where('id', '=', contactId).execute();

    for (const c of [{ id: contactId, ...contact }, ...merged.rows]) {
      const held = [c.email, c.phone, c.external_id].filter((v): v is string => Boolean(v));
      await trx
        .insertInto('erasures')
        .values({ contact_hash: hash(c.id), identity_hashes: held.map(hash) })
        .execute();
    }
    await onErased?.(trx);
  });
}
