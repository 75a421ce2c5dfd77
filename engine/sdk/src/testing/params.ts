import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { type AnyNodeDefinition, paramsProblems } from '../define-node.js';
import { ValidationError } from '../errors.js';
import { pointerKey } from '../pointer.js';
import { parseDuration } from '../time/duration.js';

// Waymark's own formats: templates are checked when rendered, filters and credentials by the engine.
const ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true });
// ajv-formats is CommonJS: under NodeNext its plugin arrives as the module's `default`.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  addFormatsModule) as FormatsPlugin;
addFormats(ajv);
ajv.addFormat('template', true);
ajv.addFormat('filter', true);
ajv.addFormat('credential', true);
ajv.addFormat('duration', (text: string) => parseDuration(text) !== null);

const compiled = new WeakMap<object, ValidateFunction>();

/**
 * An ajv error as the engine says it when it checks a graph: a missing or unknown param at its
 * own pointer (`/account is required`, `/extra is not a known param`), where ajv points at the
 * object holding it.
 */
function detailOf(error: ErrorObject): { path: string; message: string } {
  const { missingProperty, additionalProperty } = error.params as {
    missingProperty?: string;
    additionalProperty?: string;
  };
  const key =
    error.keyword === 'required'
      ? missingProperty
      : error.keyword === 'additionalProperties'
        ? additionalProperty
        : undefined;
  if (key === undefined) return { path: error.instancePath, message: error.message ?? 'is invalid' };
  const path = `${error.instancePath}/${pointerKey(key)}`;
  return { path, message: error.keyword === 'required' ? 'is required' : 'is not a known param' };
}

/** Validates params against a node's schema (filling defaults in place), then its `validate` hook, as the engine does. */
export function validateParams(node: AnyNodeDefinition, params: unknown): void {
  const schema = node.params;
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (!validate(params)) {
    const details = (validate.errors ?? []).map(detailOf);
    throw new ValidationError(
      `params are invalid: ${details.map((d) => `${d.path || '/'} ${d.message}`).join('; ')}`,
      details,
    );
  }
  const problems = paramsProblems(node, params);
  if (problems.length) {
    const text = problems.map((d) => `${d.path || '/'} ${d.message}`).join('; ');
    throw new ValidationError(`params are invalid: ${text}`, problems);
  }
}
