import type { JsonObject, TriggerContact } from '@waymark/sdk';
import type { ContactIdentity } from '../../contacts/identity/bind.js';
import { identityOf } from '../webhook/webhook.js';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const CONTACT_FIELDS = ['contactId', 'email', 'phone', 'externalId'] as const;

/**
 * Why `contact` is not a trigger's contact (`{ contactId?, email?, phone?, externalId? }`,
 * texts), or null when it is one or absent.
 */
export function contactProblem(contact: unknown): string | null {
  if (contact === undefined) return null;
  if (!isObject(contact)) return 'contact is not an object';
  for (const [key, value] of Object.entries(contact)) {
    if (!(CONTACT_FIELDS as readonly string[]).includes(key))
      return `contact.${key} is not one of ${CONTACT_FIELDS.join(', ')}`;
    if (value !== undefined && typeof value !== 'string') return `contact.${key} is not a text`;
  }
  return null;
}

/** The identity a run of a trigger is bound by, as a webhook payload's (`identityOf`); null: anonymous. */
export function identityOfContact(contact: TriggerContact | undefined): ContactIdentity | null {
  return contact ? identityOf(contact as JsonObject) : null;
}

/** Whether a value is a JSON object a run's `trigger` may be. */
export const isPayload = (value: unknown): value is JsonObject => isObject(value);
