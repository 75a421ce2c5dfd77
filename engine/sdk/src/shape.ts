import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { type ErrorDetail, ValidationError } from './errors.js';

/** The value a schema describes (`unknown` for a schema json-schema-to-ts cannot read). */
export type ShapeOf<S> = S extends JSONSchema ? FromSchema<S> : unknown;

// Outside input is only ever checked here, never changed: no defaults, no coercion.
const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
const compiled = new WeakMap<object, ValidateFunction>();

function detail(error: ErrorObject, at: string): ErrorDetail {
  const missing =
    error.keyword === 'required' ? `/${(error.params as { missingProperty: string }).missingProperty}` : '';
  const path = `${at}${error.instancePath}${missing}`;
  return { path, message: `${path || '/'} ${missing ? 'is required' : (error.message ?? 'is invalid')}` };
}

/**
 * Checks a value from outside (a provider webhook's body) against a JSON Schema of the fields
 * the caller reads, with their types, and returns it typed by that schema: code past this
 * point may call `.split` on what the schema says is a string. Fields the schema does not
 * name pass unchecked. Not of the schema → `ValidationError` (HTTP 400) naming each wrong
 * field, under `at` (a JSON pointer to where the value sits).
 *
 * @example
 * const events = expectShape(jsonBody(request), {
 *   type: 'array',
 *   items: { type: 'object', properties: { event: { type: 'string' } }, required: ['event'] },
 * } as const, 'SendGrid event array');
 * events[0]?.event.toUpperCase();
 */
export function expectShape<const S extends object>(value: unknown, schema: S, what: string, at = ''): ShapeOf<S> {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return value as ShapeOf<S>;
  const details = (validate.errors ?? []).map((e) => detail(e, at));
  throw new ValidationError(`the body is no ${what}: ${details.map((d) => d.message).join('; ')}`, details);
}
