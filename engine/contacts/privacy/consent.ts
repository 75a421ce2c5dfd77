import { type Channel, type ChannelConsent, type ConsentStatus, type JsonObject, NotFoundError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { inTransaction, type WithinChange } from '../../db/transaction.js';
import { type RunTally, recordEvent } from '../../events/record.js';
import { writeTarget } from '../merge/survivor.js';

/**
 * Sets a contact's consent for one channel and, in the same transaction, records a
 * `consent.changed` event `{ channel, status, previous, source }` when the status or the source
 * changes: a new source is new proof, and the event is the trail of the one it replaces.
 */
export async function setConsent(
  db: Kysely<Database>,
  named: string,
  input: { channel: Channel; status: ConsentStatus; source: string; proof?: JsonObject },
  /** Adds the runs its event started, for the caller to count. */
  tally?: RunTally,
  /** Runs in the change's transaction, the contact's row locked. */
  onSet?: WithinChange,
): Promise<ChannelConsent> {
  const run = async (trx: Kysely<Database>) => {
    // A merge in progress decides first: its survivor is then the contact to write. Its row lock
    // is `no key update`, which the key share just taken does not block: `for update` did, and
    // two writes of one contact's consent at once each held the one and waited for the other.
    const contactId = (await writeTarget(trx, named)) ?? named;
    const current = await sql<{ consent: Record<Channel, ChannelConsent> }>`
      select consent from contacts where id = ${contactId} for no key update`.execute(trx);
    const before = current.rows[0]?.consent[input.channel];
    if (!current.rows[0]) throw new NotFoundError(`no contact ${contactId}`);
    const consent: ChannelConsent = {
      status: input.status,
      source: input.source,
      at: new Date().toISOString(),
      // What a form's consent rests on; a change from anywhere else drops it.
      ...(input.proof ? { proof: input.proof } : {}),
    };
    await sql`
      update contacts set consent = jsonb_set(consent, ${[input.channel]}::text[], ${JSON.stringify(consent)}::jsonb),
        updated_at = now()
      where id = ${contactId}`.execute(trx);
    const previous = before?.status ?? 'unknown';
    if (previous !== input.status || before?.source !== input.source) {
      await recordEvent(
        trx,
        {
          contactId,
          name: 'consent.changed',
          properties: {
            channel: input.channel,
            status: input.status,
            previous,
            source: input.source,
          },
        },
        tally,
      );
    }
    await onSet?.(trx);
    return consent;
  };
  return inTransaction(db, run);
}
