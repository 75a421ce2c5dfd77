import { Readable } from 'node:stream';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { toContactEvent } from '../../events/record.js';
import { exportContactHead } from './export.js';

/** Events one fetch reads: all the export holds of them at once. */
export const EXPORT_EVENT_PAGE = 1000;

type Write = (text: string) => Promise<void>;

/**
 * A stream of the text `produce` writes: each write waits while the reader is behind, and
 * throws once the reader is gone (the client hung up), so `produce` stops and lets go of
 * what it holds. A failure of `produce` ends the stream with that error.
 */
function pushed(produce: (write: Write) => Promise<void>): Readable {
  let wake: (() => void) | null = null;
  let gone = false;
  const resume = () => {
    wake?.();
    wake = null;
  };
  const stream = new Readable({
    read: resume,
    destroy(error, done) {
      gone = true;
      resume();
      done(error);
    },
  });
  const write: Write = async (text) => {
    if (!gone && !stream.push(text)) await new Promise<void>((r) => (wake = r));
    if (gone) throw new Error('the reader of the export went away');
  };
  produce(write).then(
    () => stream.push(null),
    (error: Error) => stream.destroy(error),
  );
  return stream;
}

/**
 * The GDPR export (`GET /api/contacts/:id/export`) as JSON text, streamed: the contact's
 * events, which may be hundreds of thousands, are read through one cursor a page at a time,
 * so memory stays bounded whatever the history (the whole answer was built in memory: 700 MB
 * for a contact with 200,000 events); the other parts as `exportContactHead` reads them. An
 * unknown contact throws NotFoundError before any text is made.
 */
export async function streamContactExport(
  db: Kysely<Database>,
  workspaceId: string,
  contactId: string,
): Promise<Readable> {
  const { contact, ...rest } = await exportContactHead(db, workspaceId, contactId);
  return pushed(async (write) => {
    await write(`{"contact":${JSON.stringify(contact)},"events":[`);
    // One sort, read in pages: no index orders a contact's events by time for a keyset.
    await db.transaction().execute(async (trx) => {
      await sql`declare export_events no scroll cursor for
        select id, contact_id, name, properties, timestamp from events
        where contact_id = ${contactId} order by timestamp, id`.execute(trx);
      for (let first = true; ; first = false) {
        const { rows } = await sql<Parameters<typeof toContactEvent>[0]>`
          fetch ${sql.lit(EXPORT_EVENT_PAGE)} from export_events`.execute(trx);
        if (rows.length) await write((first ? '' : ',') + rows.map((r) => JSON.stringify(toContactEvent(r))).join(','));
        if (rows.length < EXPORT_EVENT_PAGE) return;
      }
    });
    await write(']');
    for (const [key, value] of Object.entries(rest)) await write(`,${JSON.stringify(key)}:${JSON.stringify(value)}`);
    await write('}');
  });
}
