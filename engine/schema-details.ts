import type { ErrorDetail } from '@waymark/sdk';
import type { ErrorObject } from 'ajv';
import { pointerKey } from './graph/pointer.js';

/** What of an ajv error is read here: fastify's validation errors have the same shape. */
export type SchemaError = Pick<ErrorObject, 'keyword' | 'instancePath' | 'params' | 'message'>;

/**
 * The field an ajv error is about, as a JSON pointer: where it sits, and for a missing
 * property or one the schema does not allow, that property, at any depth (`/data/extra`,
 * where ajv says `/data`).
 *
 * @example
 * schemaErrorPath({ keyword: 'additionalProperties', instancePath: '/data', params: { additionalProperty: 'extra' } });
 * // '/data/extra'
 */
export function schemaErrorPath(error: SchemaError): string {
  const { missingProperty, additionalProperty } = error.params as {
    missingProperty?: string;
    additionalProperty?: string;
  };
  if (error.keyword === 'required' && missingProperty !== undefined)
    return `${error.instancePath}/${pointerKey(missingProperty)}`;
  if (error.keyword === 'additionalProperties' && additionalProperty !== undefined)
    return `${error.instancePath}/${pointerKey(additionalProperty)}`;
  return error.instancePath;
}

function problem(error: SchemaError): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  return error.message ?? 'is invalid';
}

/**
 * ajv's errors as the API's `details`, one per error, each naming its field: `path` is `at`
 * (where the checked value sits in the request, `/data`) followed by the field's pointer, and
 * the message says `label` and that path first (`body/data/extra is not a known field`).
 * Request validation, credential data and webhook payloads all answer through here.
 *
 * @example
 * schemaDetails(validate.errors, { at: '/data', label: 'body' });
 */
export function schemaDetails(
  errors: readonly SchemaError[] | null | undefined,
  { at = '', label = '' }: { at?: string; label?: string } = {},
): ErrorDetail[] {
  return (errors ?? []).map((error) => {
    const path = `${at}${schemaErrorPath(error)}`;
    return { path, message: `${label + path || '/'} ${problem(error)}` };
  });
}
