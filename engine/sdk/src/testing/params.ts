import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { type AnyNodeDefinition, paramsProblems } from '../define-node.js';
import { ValidationError } from '../errors.js';
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

/** Validates params against a node's schema (filling defaults in place), then its `validate` hook, as the engine does. */
export function validateParams(node: AnyNodeDefinition, params: unknown): void {
  const schema = node.params;
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (!validate(params)) {
    const details = (validate.errors ?? []).map((e) => ({ path: e.instancePath, message: e.message ?? 'is invalid' }));
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
