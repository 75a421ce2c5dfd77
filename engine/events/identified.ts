import { ValidationError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { bindContact, type ContactIdentity } from '../contacts/identity/bind.js';
import { contactErasedMeanwhile } from '../contacts/lock.js';
import type { Database } from '../db/database.js';
import { type EventInput, newTally, type RunTally, recordEvent } from './record.js';

/** Stores tried when each finds the contact it bound erased meanwhile: the next binding sees the erase. */
const BIND_ATTEMPTS = 3;

/**
 * Stores an event on the contact its identity names (created when new), as `POST /api/events`
 * does. A repeated idempotency key answers the first event's id and does nothing more: with a
 * key, the lookup, the binding and the store run in one transaction under the key's lock, so a
 * repeat racing its first waits for it and creates no contact for its own identity.
 */
export async function recordIdentifiedEvent(
  db: Kysely<Database>,
  workspaceId: string,
  identity: Omit<ContactIdentity, 'timezone'>,
  input: Omit<EventInput, 'contactId'>,
): Promise<{ id: string } & RunTally> {
  const store = async (trx: Kysely<Database>) => {
    const key = input.idempotencyKey;
    if (key) {
      await sql`select pg_advisory_xact_lock(hashtext(${`event-key:${workspaceId}:${key}`}))`.execute(trx);
      const first = await trx
        .selectFrom('events')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('idempotency_key', '=', key)
        .executeTakeFirst();
      if (first) return { id: first.id, ...newTally() };
    }
    const contactId = await bindContact(trx, workspaceId, identity);
    if (!contactId)
      throw new ValidationError('the event names no contact', [{ path: '/email', message: 'identity missing' }]);
    const { event, runsStarted, computedRunsStarted } = await recordEvent(trx, { ...input, contactId });
    return { id: event.id, runsStarted, computedRunsStarted };
  };
  for (let attempt = 1; ; attempt++) {
    try {
      // Without a key nothing needs the binding and the store held together.
      return await (input.idempotencyKey ? db.transaction().execute(store) : store(db));
    } catch (error) {
      // Its contact erased between the binding and the store (the event's foreign key waited for
      // the erase): bound again, an address names a new contact and an id none (404).
      if (db.isTransaction || attempt >= BIND_ATTEMPTS || !contactErasedMeanwhile(error)) throw error;
    }
  }
}
