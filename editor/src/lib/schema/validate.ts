import { type OutputUnit, Validator } from '@cfworker/json-schema';
import type { Schema } from '../api/types/catalogue.ts';
import type { JsonValue } from '../api/types/json.ts';
import { validateFilter } from '../filter/validate.ts';
import { isDuration } from '../util/duration.ts';

/** Field errors of a params object, keyed by JSON pointer (the same pointers the API's errors carry). */
export type FieldErrors = Map<string, string[]>;

// A validator that interprets the schema: ajv compiles each schema into a function with
// `new Function`, which the editor's Content-Security-Policy (no 'unsafe-eval') refuses, so
// every node's form said its schema "does not compile". Draft 7, as the server's ajv.
const compiled = new WeakMap<Schema, Validator | Error>();

function compile(schema: Schema): Validator | Error {
  let validator = compiled.get(schema);
  if (!validator) {
    try {
      validator = new Validator(schema as object, '7', false);
    } catch (error) {
      validator = error as Error;
    }
    compiled.set(schema, validator);
  }
  return validator;
}

export function addError(errors: FieldErrors, path: string, message: string): void {
  const list = errors.get(path);
  if (list) {
    if (!list.includes(message)) list.push(message);
  } else errors.set(path, [message]);
}

/**
 * Adds the server's last validation to the problems found as you type, pinned by path. Where
 * the editor already finds a problem at a path, the server's there is the same one in its own
 * words (a filter clause said "value: required, op "eq" needs a value"): the editor's, checked
 * against what is on screen now, is kept alone. The server's stand wherever the editor sees none.
 */
export function addServerProblems(errors: FieldErrors, problems: { path?: string; message: string }[]): void {
  const found = new Set(errors.keys());
  for (const p of problems) if (p.path !== undefined && !found.has(p.path)) addError(errors, p.path, p.message);
}

/** Keywords whose error only sums up the errors found below it, each said on its own. */
const SUMMARIES = new Set(['properties', 'additionalProperties', 'items', 'allOf', '$ref', 'if', 'then', 'else']);

/** The part of the schema an error's `keywordLocation` ends at (`#/properties/secret/minLength` → 16). */
function keywordValue(schema: Schema, location: string): unknown {
  let at: unknown = schema;
  for (const part of location.replace(/^#\/?/, '').split('/').filter(Boolean))
    at =
      at && typeof at === 'object'
        ? (at as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')]
        : undefined;
  return at;
}

/** The keys of a oneOf whose every branch requires one key alone (`[{ required: [a] }, …]`), as the server names them. */
function exclusiveKeys(branches: unknown): string[] | null {
  if (!Array.isArray(branches)) return null;
  const keys = branches.map((branch: { required?: unknown }) =>
    Object.keys(branch ?? {}).length === 1 && Array.isArray(branch.required) && branch.required.length === 1
      ? String(branch.required[0])
      : null,
  );
  return keys.every((k) => k !== null) ? (keys as string[]) : null;
}

/** An error as the field under it shows it: where, and in the words the server's checks use. */
function fieldError(schema: Schema, unit: OutputUnit): { path: string; message: string } | null {
  const path = unit.instanceLocation.replace(/^#/, '');
  const value = keywordValue(schema, unit.keywordLocation);
  switch (unit.keyword) {
    case 'required': {
      // A branch of a oneOf (`{ required: [duration] }`) is one choice, not a required field:
      // the oneOf's own error says which choices there are.
      if (/\/oneOf\/\d+\/required$/.test(unit.keywordLocation)) return null;
      const missing = /property "(.*)"/.exec(unit.error)?.[1];
      return { path: missing === undefined ? path : `${path}/${missing}`, message: 'is required' };
    }
    case 'oneOf': {
      const keys = exclusiveKeys(value);
      return {
        path,
        message: keys ? `needs exactly one of ${keys.join(', ')}` : 'must match exactly one of its forms',
      };
    }
    case 'false':
      return { path, message: 'is not a known param' };
    // Our own formats are checked below (`extraChecks`), with the engine's rules.
    case 'format':
      return null;
    case 'minLength':
      return { path, message: `must NOT have fewer than ${value} characters` };
    case 'maxLength':
      return { path, message: `must NOT have more than ${value} characters` };
    case 'minimum':
      return { path, message: `must be >= ${value}` };
    case 'maximum':
      return { path, message: `must be <= ${value}` };
    case 'minItems':
      return { path, message: `must NOT have fewer than ${value} items` };
    case 'maxItems':
      return { path, message: `must NOT have more than ${value} items` };
    case 'type':
      return { path, message: `must be ${Array.isArray(value) ? value.join(' or ') : value}` };
    case 'enum':
      return { path, message: 'must be equal to one of the allowed values' };
    case 'pattern':
      return { path, message: `must match pattern "${value}"` };
    default:
      return SUMMARIES.has(unit.keyword) ? null : { path, message: unit.error };
  }
}

/** What the API answers for a `writeOnly` param (a webhook's secret) to whoever may only read the journey. */
const HIDDEN_PARAM = '[redacted]';

/** The pointers of the params the API hid from this reader: not theirs to fix. */
function hiddenParams(schema: Schema, params: JsonValue): Set<string> {
  const hidden = new Set<string>();
  if (!params || typeof params !== 'object' || Array.isArray(params)) return hidden;
  for (const [key, sub] of Object.entries(schema.properties ?? {}))
    if (sub.writeOnly === true && params[key] === HIDDEN_PARAM) hidden.add(`/${key}`);
  return hidden;
}

/** The node's schema, then what JSON Schema cannot say: durations, filters and split weights. */
export function validateParams(schema: Schema, params: JsonValue): FieldErrors {
  const errors: FieldErrors = new Map();
  const validator = compile(schema);
  if (validator instanceof Error) {
    addError(errors, '', `the node's schema does not compile: ${validator.message}`);
    return errors;
  }
  const hidden = hiddenParams(schema, params);
  for (const unit of validator.validate(params).errors) {
    const error = fieldError(schema, unit);
    if (error && !hidden.has(error.path)) addError(errors, error.path, error.message);
  }
  extraChecks(schema, params, '', errors);
  return errors;
}

function extraChecks(schema: Schema, value: JsonValue | undefined, path: string, errors: FieldErrors): void {
  if (value === undefined || value === null) return;
  if (schema.format === 'duration' && typeof value === 'string' && !isDuration(value))
    addError(errors, path, 'must be an ISO 8601 duration of zero or more, such as PT30S or P7D');
  if (schema.format === 'filter') {
    for (const problem of validateFilter(value, path)) addError(errors, problem.path, problem.message);
    return;
  }
  if (schema.properties && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, sub] of Object.entries(schema.properties)) extraChecks(sub, value[key], `${path}/${key}`, errors);
  }
  if (schema.items && Array.isArray(value)) {
    if (schema.items.properties?.weight) {
      const sum = value.reduce<number>((acc, item) => {
        const weight = item && typeof item === 'object' && !Array.isArray(item) ? item.weight : 0;
        return acc + (typeof weight === 'number' ? weight : 0);
      }, 0);
      if (sum !== 100) addError(errors, path, `weights must sum to 100 (now ${sum})`);
    }
    value.forEach((item, i) => {
      extraChecks(schema.items!, item, `${path}/${i}`, errors);
    });
  }
}

/** Errors at `path` or below it, for a field that shows its children's problems as a summary. */
export function errorsUnder(errors: FieldErrors, path: string): number {
  let count = 0;
  for (const [key, list] of errors) if (key === path || key.startsWith(`${path}/`)) count += list.length;
  return count;
}
