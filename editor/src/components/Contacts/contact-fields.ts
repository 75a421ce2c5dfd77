import type { Contact } from '../../lib/api/types/contacts.ts';
import type { JsonObject } from '../../lib/api/types/json.ts';

/** A contact as its form edits it: text fields, attributes as JSON text. */
export interface ContactFields {
  email: string;
  phone: string;
  externalId: string;
  timezone: string;
  attributes: string;
}

export function fieldsOf(contact: Contact | null): ContactFields {
  return {
    email: contact?.email ?? '',
    phone: contact?.phone ?? '',
    externalId: contact?.externalId ?? '',
    timezone: contact?.timezone ?? '',
    attributes: contact && Object.keys(contact.attributes).length ? JSON.stringify(contact.attributes, null, 2) : '',
  };
}

/**
 * The `POST /api/contacts` body of a form's fields (blank fields left out), or what keeps it from
 * being sent, in words. The server checks the email, phone and time zone and names a bad one.
 */
export function contactBody(fields: ContactFields): JsonObject | string {
  const body: JsonObject = {};
  for (const key of ['email', 'phone', 'externalId', 'timezone'] as const) {
    const value = fields[key].trim();
    if (value) body[key] = value;
  }
  if (!body.email && !body.phone && !body.externalId) return 'Give an email, a phone or an external id.';
  if (fields.attributes.trim()) {
    let attributes: unknown;
    try {
      attributes = JSON.parse(fields.attributes);
    } catch (error) {
      return `Attributes are not JSON: ${(error as Error).message}`;
    }
    if (!attributes || typeof attributes !== 'object' || Array.isArray(attributes))
      return 'Attributes must be a JSON object, such as { "first_name": "Ann" }.';
    body.attributes = attributes as JsonObject;
  }
  return body;
}
