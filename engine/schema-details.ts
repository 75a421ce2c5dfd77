import { type ErrorDetail, NOT_BLANK_PATTERN } from '@waymark/sdk';
import type { ErrorObject } from 'ajv';
import { pointerKey } from './graph/pointer.js';

/** What of an ajv error is read here: fastify's validation errors have the same shape. */
export type SchemaError = Pick<ErrorObject, 'keyword' | 'instancePath' | 'params' | 'message'> & {
  schemaPath?: string;
};

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

/** `a, b or c` */
function either(items: readonly string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

const A_TYPE: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/** The values an `enum` or `const` error allows, as JSON (`"draft"`), or null for another keyword. */
function allowedValues(error: SchemaError): string[] | null {
  const params = error.params as { allowedValues?: unknown[]; allowedValue?: unknown };
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues))
    return params.allowedValues.map((value) => JSON.stringify(value));
  if (error.keyword === 'const') return [JSON.stringify(params.allowedValue)];
  return null;
}

/** Whether the error is text that must not be blank (`NOT_BLANK_PATTERN`, as `tagSchema` has it) and is. */
export function isBlankError(error: SchemaError): boolean {
  return error.keyword === 'pattern' && (error.params as { pattern?: string }).pattern === NOT_BLANK_PATTERN;
}

function problem(error: SchemaError): string {
  if (error.keyword === 'required') return 'is required';
  if (isBlankError(error)) return 'must not be blank';
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  const allowed = allowedValues(error);
  if (allowed) return `must be ${allowed.length > 1 ? 'one of ' : ''}${allowed.join(', ')}`;
  return error.message ?? 'is invalid';
}

/** The properties a failed `not: { required: [...] }` forbade, when ajv (verbose) kept its schema. */
function notRequired(error: SchemaError): string[] | null {
  const required = (error as { schema?: { required?: unknown } }).schema?.required;
  return Array.isArray(required) && required.every((name) => typeof name === 'string') ? required : null;
}

/**
 * The errors of an `anyOf`/`oneOf` that failed, said as one where they can be: alternatives
 * that each need a property (`needs one of contactId, email, phone or externalId`), or that
 * each ask for a type or values (`must be an integer or "draft"`); else, when the value's type
 * fits one alternative alone, that alternative's errors (`must be >= 1`), also when the others
 * only list values it is not; else all of them.
 */
function alternatives(summary: SchemaError, branch: SchemaError[]): SchemaError[] {
  const here = branch.filter((error) => error.instancePath === summary.instancePath);
  const prefix = `${summary.schemaPath}/`;
  const byAlternative = new Map<string, SchemaError[]>();
  for (const error of branch) {
    const key = (error.schemaPath ?? '').slice(prefix.length).split('/')[0] ?? '';
    byAlternative.set(key, [...(byAlternative.get(key) ?? []), error]);
  }
  const groups = [...byAlternative.values()];
  const said = (message: string): SchemaError[] => [
    { keyword: summary.keyword, instancePath: summary.instancePath, params: {}, message },
  ];
  if (here.length === branch.length && branch.every((error) => error.keyword === 'required')) {
    const names = branch.map((error) => String((error.params as { missingProperty?: string }).missingProperty));
    return said(`needs one of ${either([...new Set(names)])}`);
  }
  // `{ required: [a], not: { required: [b] } }` and the other way round: given both.
  const excluded = branch.map((error) => (error.keyword === 'not' ? notRequired(error) : null));
  if (here.length === branch.length && excluded.every((names) => names !== null)) {
    return said(`must have only one of ${either([...new Set(excluded.flat() as string[])].sort())}, not both`);
  }
  if (here.length === branch.length && branch.every((error) => ['type', 'enum', 'const'].includes(error.keyword))) {
    const forms = groups.flatMap((group) => {
      const values = group.map(allowedValues).find((v) => v !== null);
      if (values) return values;
      const type = (group[0]?.params as { type?: string | string[] } | undefined)?.type;
      return (Array.isArray(type) ? type : String(type).split(',')).map((t) => A_TYPE[t] ?? t);
    });
    return said(`must be ${either([...new Set(forms)])}`);
  }
  const fitting = groups.filter(
    (group) => !group.some((error) => error.keyword === 'type' && error.instancePath === summary.instancePath),
  );
  if (fitting.length === 1 && fitting[0]) return fitting[0];
  // Text from a path or query string fits every type once converted (`?from=2147483648` is a
  // number and a string): an alternative refused only for not being one of its values then
  // says less than one whose bounds the value broke.
  const bounded = fitting.filter(
    (group) =>
      !group.every((error) => ['enum', 'const'].includes(error.keyword) && error.instancePath === summary.instancePath),
  );
  if (bounded.length === 1 && bounded[0]) return bounded[0];
  return [...branch, summary];
}

/** ajv's errors with each failed `anyOf`/`oneOf` and the errors of its alternatives said as `alternatives` says. */
function withAlternatives(errors: readonly SchemaError[]): SchemaError[] {
  let out: SchemaError[] = [];
  for (const error of errors) {
    if ((error.keyword === 'anyOf' || error.keyword === 'oneOf') && error.schemaPath) {
      // ajv reports the alternatives' errors before the one that sums them up.
      const prefix = `${error.schemaPath}/`;
      const branch = out.filter((e) => e.schemaPath?.startsWith(prefix));
      if (branch.length) {
        out = [...out.filter((e) => !branch.includes(e)), ...alternatives(error, branch)];
        continue;
      }
    }
    out.push(error);
  }
  return out;
}

/**
 * The errors less those another says already: `""` for a name both too short and blank is
 * "must not be blank" alone, as `"  "` is.
 */
function withoutSaidTwice(errors: SchemaError[]): SchemaError[] {
  const blank = new Set(errors.filter(isBlankError).map((error) => error.instancePath));
  return errors.filter((error) => !(error.keyword === 'minLength' && blank.has(error.instancePath)));
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
  return withoutSaidTwice(withAlternatives(errors ?? [])).map((error) => {
    const path = `${at}${schemaErrorPath(error)}`;
    return { path, message: `${label + path || '/'} ${problem(error)}` };
  });
}
