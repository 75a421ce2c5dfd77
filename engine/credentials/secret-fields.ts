import type { JsonObject } from '@waymark/sdk';
import { pointerKey } from '../graph/pointer.js';
import { urlSecrets } from './url-secrets.js';

type Schema = JsonObject | undefined;

const schemaAt = (value: unknown): Schema =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;

/** Whether `schema` marks a field secret (`writeOnly: true`) anywhere in it. */
function marksSecrets(schema: unknown): boolean {
  if (!schema || typeof schema !== 'object') return false;
  if ((schema as JsonObject).writeOnly === true) return true;
  return Object.values(schema).some(marksSecrets);
}

function stringsOf(value: unknown, into: string[]): void {
  if (typeof value === 'string') into.push(value);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) stringsOf(item, into);
}

function markedStrings(schema: Schema, value: unknown, into: string[]): void {
  if (schema?.writeOnly === true) {
    stringsOf(value, into);
    // A secret URL's token may come back alone (a gateway naming the key it refused).
    if (schema.format === 'uri' && typeof value === 'string') into.push(...urlSecrets(value));
  } else if (!schema || !value || typeof value !== 'object') return;
  else if (Array.isArray(value)) for (const item of value) markedStrings(schemaAt(schema.items), item, into);
  else {
    const properties = schemaAt(schema.properties) ?? {};
    for (const [key, item] of Object.entries(value))
      markedStrings(schemaAt(properties[key]) ?? schemaAt(schema.additionalProperties), item, into);
  }
}

/**
 * The strings of a credential's `data` that are secret, as its type's `schema` declares them:
 * those under a field marked `writeOnly: true` (a password, an API key, a login name; for a
 * `format: "uri"` one also its user, password and query values, `urlSecrets`), so that
 * a refusal naming the host, port, region or sender of the credential keeps them readable. A
 * type that marks no field (a package's written before fields were marked) has every string
 * taken for a secret: a credential never shows because its type said nothing.
 *
 * @example
 * credentialSecrets(smtpSchema, { host: 'mx.example.com', user: 'mailer', password: 'pa55word' }); // ['mailer', 'pa55word']
 */
export function credentialSecrets(schema: Schema, data: unknown): string[] {
  const found: string[] = [];
  if (marksSecrets(schema)) markedStrings(schema, data, found);
  else stringsOf(data, found);
  return found;
}

/** Field names that read as secret, for a type whose schema marks none. */
const SECRET_NAME = /pass(word)?|secret|token|api[-_]?key|private[-_]?key|auth/i;

function markedFields(schema: Schema, at: string, byName: boolean, into: string[]): void {
  const properties = schemaAt(schema?.properties) ?? {};
  for (const [key, value] of Object.entries(properties)) {
    const field = schemaAt(value);
    const path = `${at}/${pointerKey(key)}`;
    const secret = field?.writeOnly === true || field?.format === 'password' || (byName && SECRET_NAME.test(key));
    if (secret) into.push(path);
    else markedFields(field, path, byName, into);
  }
}

/**
 * The JSON pointers (into a credential's `data`) of the fields a form should take as secrets:
 * those the type's schema marks `writeOnly: true` or `format: "password"`; a type that marks
 * none (a package's written before fields were marked) by their names (`password`, `apiKey`,
 * `secret`, `token`, …). Top-level and nested object properties; the form never shows them back.
 *
 * @example
 * secretFields(smtpSchema); // ['/user', '/password']
 */
export function secretFields(schema: Schema): string[] {
  const found: string[] = [];
  markedFields(schema, '', false, found);
  if (found.length === 0 && !marksSecrets(schema)) markedFields(schema, '', true, found);
  return found;
}
