import { type ErrorDetail, type JsonObject, type JsonValue, timeZoneName } from '@waymark/sdk';
import { isObject, normalizeEmail, normalizePhone, phoneExtensionProblem } from '../contacts/identity/normalize.js';
import { ownValue } from '../contacts/sources.js';
import type { FormDefinition, FormField } from './definition.js';

const TICKED = new Set(['true', 'on', 'yes', '1']);

/**
 * True for a ticked checkbox as forms and JSON send it: `true`, `"on"`, `"yes"` or `"1"`
 * (contracts/content.md). JSON may carry the 1 as a number, meaning what `"1"` means.
 */
export const ticked = (value: unknown) =>
  value === true || value === 1 || (typeof value === 'string' && TICKED.has(value.toLowerCase()));

function isDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(text);
}

function readField(field: FormField, raw: unknown): { value: JsonValue; error?: string } {
  const required = `${field.label || field.name} is required`;
  // A field holds one value. An object has no text it could hold (String() would store
  // "[object Object]"), and of a list (a JSON array, a key repeated in a form post) which
  // value to keep would be a guess.
  if (raw !== null && typeof raw === 'object')
    return { value: null, error: `${field.label || field.name} must be text, not an object or a list` };
  // A required checkbox is one that must be ticked (terms): unticked, it is missing.
  if (field.type === 'checkbox')
    return ticked(raw) ? { value: true } : { value: false, ...(field.required ? { error: required } : {}) };
  const text = raw === undefined || raw === null ? '' : String(raw).trim();
  if (text === '') return field.required ? { value: null, error: required } : { value: null };
  if (field.type === 'email' || field.mapTo === 'email') {
    const email = normalizeEmail(text);
    return email ? { value: email } : { value: text, error: `${text} is not an email address` };
  }
  if (field.type === 'tel' || field.mapTo === 'phone') {
    const phone = normalizePhone(text);
    const extension = phoneExtensionProblem(text);
    if (phone && extension) return { value: text, error: `${text} ${extension}` };
    return phone ? { value: phone } : { value: text, error: `${text} is not a phone number` };
  }
  if (field.mapTo === 'timezone') {
    const zone = timeZoneName(text);
    return zone
      ? { value: zone }
      : { value: text, error: `${text} is not a time zone (an IANA name such as Europe/Helsinki)` };
  }
  if (field.type === 'date' && !isDate(text)) return { value: text, error: `${text} is not a date (YYYY-MM-DD)` };
  if (field.type === 'select' && !(field.options ?? []).includes(text))
    return { value: text, error: `${text} is not one of the options` };
  return { value: text };
}

/** A submission's values by field name, and what is wrong with them (`path` `/<field name>`). */
export function readSubmission(form: FormDefinition, body: Record<string, unknown>) {
  const values: JsonObject = {};
  const errors: ErrorDetail[] = [];
  for (const field of form.fields) {
    const read = readField(field, Object.hasOwn(body, field.name) ? body[field.name] : undefined);
    if (read.value !== null) values[field.name] = read.value;
    if (read.error) errors.push({ path: `/${field.name}`, message: read.error });
  }
  if (form.consentText && !ticked(body._consent))
    errors.push({ path: '/_consent', message: 'please agree to the consent text' });
  return { values, errors };
}

/**
 * The path a submitter sees for a contact field's problem (`/timezone`): the form field mapped
 * to it (`/tz`), which is where the hosted page and embed.js show it.
 */
export function formPath(fields: readonly FormField[], contactPath: string): string {
  const field = fields.find((f) => f.mapTo !== null && `/${f.mapTo}` === contactPath);
  return field ? `/${field.name}` : contactPath;
}

/** `written` laid over `current`: objects merge key by key, so only the paths written change. */
function over(current: JsonValue | undefined, written: JsonValue): JsonValue {
  if (!isObject(written) || current === undefined || !isObject(current)) return written;
  const out: JsonObject = { ...current };
  for (const [key, value] of Object.entries(written)) out[key] = over(ownValue(current, key), value);
  return out;
}

/**
 * The contact fields the values map to, as `POST /api/contacts` takes them. The upsert writes
 * attributes by their top-level key, so a value mapped to a nested path (`attributes.addr.city`)
 * comes inside the contact's `current` value of that key (`addr`), the rest of it kept.
 */
export function contactInput(form: Pick<FormDefinition, 'fields'>, values: JsonObject, current: JsonObject = {}) {
  const input: { email?: string; phone?: string; externalId?: string; timezone?: string; attributes: JsonObject } = {
    attributes: {},
  };
  const written: JsonObject = {};
  for (const field of form.fields) {
    const value = values[field.name];
    if (field.mapTo === null || value === undefined || value === null) continue;
    if (field.mapTo.startsWith('attributes.')) {
      const path = field.mapTo.slice('attributes.'.length).split('.');
      let at = written;
      for (const key of path.slice(0, -1)) {
        const next = at[key];
        if (!next || typeof next !== 'object' || Array.isArray(next)) at[key] = {};
        at = at[key] as JsonObject;
      }
      at[path[path.length - 1] as string] = value;
    } else if (typeof value === 'string') input[field.mapTo as 'email' | 'phone' | 'externalId' | 'timezone'] = value;
  }
  for (const [key, value] of Object.entries(written)) input.attributes[key] = over(ownValue(current, key), value);
  return input;
}

/** True when a value is mapped below a top-level attribute, whose other keys the contact may hold. */
export const writesNestedAttributes = (input: ReturnType<typeof contactInput>) =>
  Object.values(input.attributes).some(isObject);
