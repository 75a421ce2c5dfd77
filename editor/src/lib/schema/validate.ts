import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { JsonValue, Schema } from '../api/types.ts';
import { validateFilter } from '../filter/validate.ts';
import { isDuration } from '../util/duration.ts';

/** Field errors of a params object, keyed by JSON pointer (the same pointers the API's errors carry). */
export type FieldErrors = Map<string, string[]>;

// strict: false because node schemas carry our own keywords (`credentialType`) and formats.
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false });
addFormats(ajv);
ajv.addFormat('template', true);
ajv.addFormat('credential', true);
ajv.addFormat('filter', true);
ajv.addFormat('duration', { type: 'string', validate: isDuration });

const compiled = new WeakMap<Schema, ValidateFunction | Error>();

function compile(schema: Schema): ValidateFunction | Error {
  let fn = compiled.get(schema);
  if (!fn) {
    try {
      fn = ajv.compile(schema);
    } catch (error) {
      fn = error as Error;
    }
    compiled.set(schema, fn);
  }
  return fn;
}

export function addError(errors: FieldErrors, path: string, message: string): void {
  const list = errors.get(path);
  if (list) {
    if (!list.includes(message)) list.push(message);
  } else errors.set(path, [message]);
}

function pointerOf(error: ErrorObject): string {
  if (error.keyword === 'required') {
    return `${error.instancePath}/${(error.params as { missingProperty: string }).missingProperty}`;
  }
  if (error.keyword === 'additionalProperties') {
    return `${error.instancePath}/${(error.params as { additionalProperty: string }).additionalProperty}`;
  }
  return error.instancePath;
}

/** ajv against the node's schema, then what JSON Schema cannot say: filters and split weights. */
export function validateParams(schema: Schema, params: JsonValue): FieldErrors {
  const errors: FieldErrors = new Map();
  const fn = compile(schema);
  if (fn instanceof Error) {
    addError(errors, '', `the node's schema does not compile: ${fn.message}`);
    return errors;
  }
  if (!fn(params)) {
    for (const error of fn.errors ?? []) {
      if (error.keyword === 'if') continue;
      addError(errors, pointerOf(error), error.keyword === 'required' ? 'required' : (error.message ?? 'invalid'));
    }
  }
  extraChecks(schema, params, '', errors);
  return errors;
}

function extraChecks(schema: Schema, value: JsonValue | undefined, path: string, errors: FieldErrors): void {
  if (value === undefined || value === null) return;
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
