import { createHmac } from 'node:crypto';
import { NotFoundError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { endRuns } from '../runs/end-runs.js';
import { tableExists, tablesWithColumn, textColumns } from './gdpr-tables.js';
import { isUuid } from './load.js';

// Child rows first, so that foreign keys never block a delete.
const SWEEP_ORDER = ['step_id', 'message_id', 'lead_id', 'run_id', 'contact_id'] as const;
type IdColumn = (typeof SWEEP_ORDER)[number];

async function idsOf(db: Kysely<Database>, table: string, where: string, ids: string[]): Promise<string[]> {
  if (!ids.length || !(await tableExists(db, table))) return [];
  const { rows } = await sql<{ id: string }>`
    select id::text as id from ${sql.table(table)} where ${sql.ref(where)}::text = any(${ids}::text[])`.execute(db);
  return rows.map((r) => r.id);
}

/**
 * Erases a contact (GDPR): ends its live runs, deletes every row that names it, its runs,
 * steps, waits, messages and leads (and rows that hang off those), drops its queued jobs,
 * scrubs any remaining mention of its email or phone from text and JSON columns, and
 * leaves an erasure record holding only keyed hashes. One transaction.
 */
export async function eraseContact(db: Kysely<Database>, contactId: string, secretKey: Buffer): Promise<void> {
  if (!isUuid(contactId)) throw new NotFoundError(`no contact ${contactId}`);
  await db.transaction().execute(async (trx) => {
    const found = await sql<{ email: string | null; phone: string | null; external_id: string | null }>`
      select email, phone, external_id from contacts where id = ${contactId} for update`.execute(trx);
    const contact = found.rows[0];
    if (!contact) throw new NotFoundError(`no contact ${contactId}`);
    const hash = (v: string) => createHmac('sha256', secretKey).update(v).digest('hex');
    const identities = [contact.email, contact.phone, contact.external_id].filter((v): v is string => Boolean(v));

    if (await tableExists(trx, 'runs')) await endRuns(trx, { contactId }, 'exited');
    const runIds = await idsOf(trx, 'runs', 'contact_id', [contactId]);
    const stepIds = await idsOf(trx, 'steps', 'run_id', runIds);
    const ids: Record<IdColumn, string[]> = {
      contact_id: [contactId],
      run_id: runIds,
      step_id: stepIds,
      message_id: [
        ...(await idsOf(trx, 'messages', 'contact_id', [contactId])),
        ...(await idsOf(trx, 'messages', 'run_id', runIds)),
      ],
      lead_id: await idsOf(trx, 'leads', 'contact_id', [contactId]),
    };
    // Queued jobs that would run one of its steps, or that name the contact at all.
    const mentions = [contactId, ...stepIds, ...runIds].map(standalone);
    if (contact.email) mentions.push(standalone(contact.email));
    await sql`
      delete from graphile_worker._private_jobs
      where locked_at is null and (payload->>'stepId' = any(${stepIds}::text[])
        or payload::text ~ any(${mentions}::text[]))`.execute(trx);

    for (const column of SWEEP_ORDER) {
      if (!ids[column].length) continue;
      for (const table of await tablesWithColumn(trx, column)) {
        if (table === 'contacts' || table === 'erasures') continue;
        await sql`delete from ${sql.table(table)} where ${sql.ref(column)}::text = any(${ids[column]}::text[])`.execute(
          trx,
        );
      }
    }
    for (const table of ['runs', 'messages', 'leads']) {
      const key: IdColumn = table === 'runs' ? 'run_id' : table === 'messages' ? 'message_id' : 'lead_id';
      if (ids[key].length && (await tableExists(trx, table)))
        await sql`delete from ${sql.table(table)} where id::text = any(${ids[key]}::text[])`.execute(trx);
    }
    await trx.deleteFrom('contacts').where('id', '=', contactId).execute();

    // Whatever else still spells out the email or phone (a notification naming the contact) is scrubbed.
    const patterns = [contact.email, contact.phone].filter((v): v is string => Boolean(v)).map(standalone);
    for (const { table, column, type } of await textColumns(trx)) {
      if (table === 'contacts') continue;
      for (const pattern of patterns) {
        const col = sql.ref(column);
        const cast = sql.raw(type === 'jsonb' ? 'jsonb' : type === 'json' ? 'json' : 'text');
        await sql`update ${sql.table(table)} set ${col} = regexp_replace(${col}::text, ${pattern}, '[erased]', 'g')::${cast}
          where ${col}::text ~ ${pattern}`.execute(trx);
      }
    }
    await trx
      .insertInto('erasures')
      .values({ contact_hash: hash(contactId), identity_hashes: identities.map(hash) })
      .execute();
  });
}

/** A regex matching `text` only where it stands alone (so `ann@x.io` spares `joann@x.io`). */
function standalone(text: string): string {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `(?<![A-Za-z0-9._%+-])${escaped}(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`;
}
