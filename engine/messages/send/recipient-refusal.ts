import type { RecipientRefusal, SendRequest, SuppressionReason } from '@waymark/sdk';
import { sql } from 'kysely';
import { setConsent } from '../../contacts/privacy/consent.js';
import type { StepScope } from '../../services/step-scope.js';

/** The reason a message a provider refused for its recipient is suppressed with. */
export const REFUSAL_REASONS: Record<RecipientRefusal, SuppressionReason> = {
  unsubscribed: 'unsubscribed',
  suppressed: 'provider-suppressed',
};

/**
 * What a provider's refusal of the recipient changes on the contact, in the hand-over's
 * transaction (which holds the contact's lock): a recipient who opted out at the provider (a
 * STOP reply Twilio kept) is unsubscribed from the channel, source `provider`, recorded as
 * `consent.changed` as a STOP reply is, so later marketing is suppressed before the provider.
 * Only when the message went to the contact's own address: a number given apart is not theirs.
 * An inactive recipient changes nothing: the provider does not say why it keeps it so.
 */
export async function applyRecipientRefusal(
  scope: StepScope,
  request: SendRequest,
  to: string,
  refusal: RecipientRefusal,
): Promise<void> {
  const { contactId } = scope;
  const channel: 'email' | 'sms' | null =
    request.channel === 'email' ? 'email' : request.channel === 'sms' ? 'sms' : null;
  if (refusal !== 'unsubscribed' || !contactId || !channel) return;
  const { rows } = await sql<{ id: string }>`
    select id from contacts where id = ${contactId}
      and ${channel === 'email' ? sql`lower(email) = lower(${to})` : sql`phone = ${to}`}`.execute(scope.db);
  if (rows.length === 0) return;
  await setConsent(scope.db, contactId, { channel, status: 'unsubscribed', source: 'provider' });
}
