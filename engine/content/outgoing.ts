import { type PreparedMessage, WaymarkError } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import { StepSecrets } from '../credentials/step-secrets.js';
import type { Database } from '../db/database.js';
import type { StoredLink } from '../db/tables/messages.js';
import { inTransaction, type WithinChange } from '../db/transaction.js';
import { messageIdHeader } from '../messages/compose/addresses.js';
import type { DefaultSmtp } from '../messages/outbox/transport.js';

/** A mail server's refusal of a test send: HTTP 502 `delivery_failed`. */
export class DeliveryFailedError extends WaymarkError {
  constructor(message: string, options?: ErrorOptions) {
    super('delivery_failed', message, [], options);
  }
}

/**
 * Stores an email that no journey step sends (a test send, a double opt-in confirmation) and
 * delivers it through `SMTP_URL` or the outbox; the row ends `sent`, or `failed` with the
 * server's answer (then DeliveryFailedError). `onStored` runs in the transaction that stores
 * the row, before anything is sent: what throws there stores and sends nothing.
 */
export async function storeAndDeliver(
  db: Kysely<Database>,
  env: { smtp: DefaultSmtp; publicUrl: string },
  input: {
    id: string;
    workspaceId: string;
    contactId: string | null;
    category: 'marketing' | 'transactional';
    message: PreparedMessage;
    links: StoredLink[];
  },
  onStored?: WithinChange,
): Promise<void> {
  const { id, message } = input;
  await inTransaction(db, async (trx) => {
    await insertMessage(trx, input);
    await onStored?.(trx);
  });
  try {
    const sent = await env.smtp.deliver(message, messageIdHeader(id, env.publicUrl));
    await db
      .updateTable('messages')
      .set({ status: 'sent', sent_at: new Date(), provider_id: sent.providerId ?? null })
      .where('id', '=', id)
      .execute();
  } catch (error) {
    // The mail server's refusal may echo `SMTP_URL`'s login: kept from the row, the answer and
    // the cause a caller logs (a form's confirmation mail), which pino prints with the error.
    const secrets = StepSecrets.of(env.smtp.login);
    const text = secrets.text(error instanceof Error ? error.message : String(error));
    await db.updateTable('messages').set({ status: 'failed', error: text }).where('id', '=', id).execute();
    throw new DeliveryFailedError(`the mail server refused the message: ${text}`, { cause: secrets.value(error) });
  }
}

type Outgoing = Parameters<typeof storeAndDeliver>[2];

async function insertMessage(db: Kysely<Database>, input: Outgoing): Promise<void> {
  const { id, message } = input;
  await db
    .insertInto('messages')
    .values({
      id,
      workspace_id: input.workspaceId,
      idempotency_key: null,
      run_id: null,
      journey_id: null,
      node_id: null,
      contact_id: input.contactId,
      channel: 'email',
      category: input.category,
      to: message.to,
      from: message.from ?? null,
      reply_to: null,
      subject: message.subject ?? null,
      html: message.html ?? null,
      text: message.text ?? null,
      headers: JSON.stringify(message.headers),
      links: JSON.stringify(input.links),
      status: 'queued',
      reason: null,
      delayed_until: null,
      error: null,
      provider_id: null,
      sent_at: null,
    })
    .execute();
}
