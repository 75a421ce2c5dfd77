import { type CategorySubscription, NotFoundError, type SubscriptionStatus } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { inTransaction, type WithinChange } from '../../db/transaction.js';
import { type RunTally, recordEvent } from '../../events/record.js';
import { writeTarget } from '../merge/survivor.js';

/**
 * Subscribes or unsubscribes a contact from one marketing category and, in the same
 * transaction, records `subscription.changed` `{ category, status, previous, source? }` when the
 * status changes (`previous` is null for a category the contact never chose about).
 *
 * @example
 * await setSubscription(db, contactId, 'newsletter', { status: 'unsubscribed', source: 'preference-center' });
 */
export async function setSubscription(
  db: Kysely<Database>,
  named: string,
  category: string,
  input: { status: SubscriptionStatus; source?: string },
  /** Adds the runs its event started, for the caller to count. */
  tally?: RunTally,
  /** Runs in the change's transaction, the contact's row locked. */
  onSet?: WithinChange,
): Promise<CategorySubscription> {
  const run = async (trx: Kysely<Database>) => {
    // A merge in progress decides first: its survivor is then the contact to write. Its row lock
    // is `no key update`, which the key share just taken does not block: `for update` did, and
    // two writes of one contact's consent at once each held the one and waited for the other.
    const contactId = (await writeTarget(trx, named)) ?? named;
    const current = await sql<{ subscriptions: Record<string, CategorySubscription> }>`
      select subscriptions from contacts where id = ${contactId} for no key update`.execute(trx);
    const row = current.rows[0];
    if (!row) throw new NotFoundError(`no contact ${contactId}`);
    const subscription: CategorySubscription = {
      status: input.status,
      ...(input.source ? { source: input.source } : {}),
      at: new Date().toISOString(),
    };
    await sql`
      update contacts set subscriptions = subscriptions || jsonb_build_object(${category}::text, ${JSON.stringify(subscription)}::jsonb),
        updated_at = now()
      where id = ${contactId}`.execute(trx);
    const previous = row.subscriptions[category]?.status ?? null;
    if (previous !== input.status) {
      const properties = {
        category,
        status: input.status,
        previous,
        ...(input.source ? { source: input.source } : {}),
      };
      await recordEvent(trx, { contactId, name: 'subscription.changed', properties }, tally);
    }
    await onSet?.(trx);
    return subscription;
  };
  return inTransaction(db, run);
}
