import {
  attributeSourceSchema,
  type ErrorDetail,
  type JsonObject,
  type JsonValue,
  timeZoneName,
  ValidationError,
} from '@waymark/sdk';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { INDEX_KEY_MAX_LENGTH } from '../../db/index-keys.js';

/** What `POST /api/contacts` (and each import row) may carry. */
export interface ContactInput {
  email?: string | null;
  phone?: string | null;
  externalId?: string | null;
  timezone?: string | null;
  attributes?: JsonObject;
  /** Who writes (`crm`, `webshop` …): decides which attribute values win (contract identity.md). */
  source?: string;
}

/** A contact input after normalisation: identity fields in stored form, absent fields undefined. */
export interface NormalizedInput {
  /**
   * The contact meant, by id (an event's or webhook's `contactId`, never a `POST /api/contacts`
   * body): matched before externalId, email and phone.
   */
  contactId?: string;
  email?: string;
  phone?: string;
  externalId?: string;
  /**
   * Identity fields given as null: cleared on the contact the row's other identity fields name
   * (server/README.md "Clearing an identity field"). Only `POST /api/contacts` bodies and
   * NDJSON import lines carry them; an event's or a webhook's null names no one.
   */
  clear?: IdentityField[];
  timezone?: string | null;
  attributes?: JsonObject;
  /** Who writes (`crm`, `webshop` …): decides which attribute values win (contract identity.md). */
  source?: string;
}

/** The fields that name a contact, in the order an upsert matches them. */
export type IdentityField = 'externalId' | 'email' | 'phone';
export const IDENTITY_FIELDS: readonly IdentityField[] = ['externalId', 'email', 'phone'];

/** A write's source: `crm`, `webshop`, `api` … (contract identity.md "Attribute sources"). */
export const SOURCE_PATTERN = new RegExp(attributeSourceSchema.pattern);
const SOURCE_RULE = 'source is 1–64 of a-z 0-9 . _ -';

/** Throws ValidationError at `/source` unless `source` is a source's name. */
export function checkSource(source: string): void {
  if (!SOURCE_PATTERN.test(source))
    throw new ValidationError(`source "${source}" is not 1–64 of a-z 0-9 . _ -`, [
      { path: '/source', message: SOURCE_RULE },
    ]);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Trimmed and lower-cased, or null when it is not an email address. */
export function normalizeEmail(text: string): string | null {
  const email = text.trim().toLowerCase();
  return EMAIL.test(email) && email.length <= 320 ? email : null;
}

/**
 * E.164 (`+358401234567`), or null when it is not a phone number. An extension is left out:
 * writers refuse one first (`phoneExtensionProblem`).
 */
export function normalizePhone(text: string): string | null {
  const parsed = parsePhoneNumberFromString(text.trim());
  return parsed?.isPossible() ? parsed.number : null;
}

/**
 * What is wrong with a phone's text that carries an extension (`x12`, `ext. 12`, `;ext=12`),
 * or null: E.164 holds none, so storing the rest would store another number than was given.
 *
 * @example
 * phoneExtensionProblem('+1 415 555 0100 x12') // 'has extension 12, which E.164 cannot hold: …'
 */
export function phoneExtensionProblem(text: string): string | null {
  const ext = parsePhoneNumberFromString(text.trim())?.ext;
  return ext
    ? `has extension ${ext}, which E.164 cannot hold: give the number without it (an attribute can keep the extension)`
    : null;
}

/**
 * A contact write's `timezone` as it is stored: IANA's spelling, `null` to clear it, undefined
 * (or blank) to leave it; throws 400 `validation_failed` at `/timezone` for one that is no zone.
 *
 * @example
 * storedTimeZone('europe/helsinki') // 'Europe/Helsinki'
 */
export function storedTimeZone<T extends string | null | undefined>(timezone: T): string | T {
  if (!timezone) return timezone;
  const zone = timeZoneName(timezone);
  if (zone === null)
    throw new ValidationError('timezone is not an IANA time zone name', [
      { path: '/timezone', message: 'unknown time zone' },
    ]);
  return zone;
}

const absent = (v: unknown): v is null | undefined => v === undefined || v === null;

/**
 * Normalises a contact input; problems name their field as a JSON pointer (`/email`). An
 * identity field given as blank text is a problem, not an absent field: `{ "email": "  " }`
 * names no address.
 *
 * @example
 * normalizeInput({ email: ' Ann@X.io ' }) // { value: { email: 'ann@x.io' }, errors: [] }
 */
export function normalizeInput(input: ContactInput): { value: NormalizedInput; errors: ErrorDetail[] } {
  const value: NormalizedInput = {};
  const errors: ErrorDetail[] = [];
  const clear = IDENTITY_FIELDS.filter((f) => input[f] === null);
  if (clear.length) value.clear = clear;
  if (!absent(input.email)) {
    const email = typeof input.email === 'string' ? normalizeEmail(input.email) : null;
    if (email) value.email = email;
    else errors.push({ path: '/email', message: 'email is not a valid email address' });
  }
  if (!absent(input.phone)) {
    const phone = typeof input.phone === 'string' ? normalizePhone(input.phone) : null;
    const extension = typeof input.phone === 'string' ? phoneExtensionProblem(input.phone) : null;
    if (phone && extension) errors.push({ path: '/phone', message: `phone ${extension}` });
    else if (phone) value.phone = phone;
    else errors.push({ path: '/phone', message: 'phone is not a valid phone number (use E.164, e.g. +358401234567)' });
  }
  if (!absent(input.externalId)) {
    const externalId = typeof input.externalId === 'string' ? input.externalId.trim() : '';
    if (!externalId) errors.push({ path: '/externalId', message: 'externalId must be a string that is not blank' });
    else if (externalId.length > INDEX_KEY_MAX_LENGTH)
      errors.push({ path: '/externalId', message: `externalId must be at most ${INDEX_KEY_MAX_LENGTH} characters` });
    else value.externalId = externalId;
  }
  if (input.timezone === null) value.timezone = null;
  else if (input.timezone !== undefined) {
    const zone = typeof input.timezone === 'string' ? timeZoneName(input.timezone) : null;
    if (zone) value.timezone = zone;
    else errors.push({ path: '/timezone', message: 'timezone is not an IANA time zone name' });
  }
  if (input.source !== undefined) {
    if (typeof input.source === 'string' && SOURCE_PATTERN.test(input.source)) value.source = input.source;
    else errors.push({ path: '/source', message: SOURCE_RULE });
  }
  if (input.attributes !== undefined) {
    if (isObject(input.attributes)) value.attributes = input.attributes;
    else errors.push({ path: '/attributes', message: 'attributes must be an object' });
  }
  return { value, errors };
}

/** True for a plain JSON object. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merges attributes key by key; a null value removes the key. */
export function mergeAttributes(base: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, v] of Object.entries(patch) as [string, JsonValue][]) {
    if (v === null) delete out[key];
    else out[key] = v;
  }
  return out;
}
