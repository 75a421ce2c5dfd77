import type { JsonObject } from '@waymark/sdk';
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
