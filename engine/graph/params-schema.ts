import {
  type AnyNodeDefinition,
  DURATION_BOUND_TEXT,
  type ErrorDetail,
  isDurationWithinBound,
  parseDuration,
  templateError,
} from '@waymark/sdk';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isUuid } from '../db/ids.js';
import { isBlankError, schemaErrorPath } from '../schema-details.js';
import { pointerKey } from './pointer.js';

type FormatsPlugin = (ajv: Ajv) => Ajv;
// ajv-formats is CommonJS: under NodeNext its plugin arrives as the module's `default`.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  addFormatsModule) as FormatsPlugin;

/**
 * The one ajv that checks node params. Waymark's own formats: `template` (Liquid that
 * parses), `duration` (ISO 8601, from zero to 1,000 years: a longer wait or lifespan ends past the
 * times PostgreSQL stores), `credential` (a credential id); `filter` and `json-schema`
 * are accepted here and checked by their own validators (filter-params.ts, payload-schema.ts). Formats it does
 * not know (a third party's `color`) are ignored rather than refused.
 */
// useDefaults: a param left out that has a default is valid, as the engine fills it in at run
// time; validation always works on a copy.
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true, logger: false, useDefaults: true });
addFormats(ajv);
ajv.addFormat('template', { type: 'string', validate: (s: string) => templateError(s) === null });
ajv.addFormat('duration', { type: 'string', validate: (s: string) => isDurationWithinBound(parseDuration(s)) });
ajv.addFormat('credential', { type: 'string', validate: (s: string) => isUuid(s) });
ajv.addFormat('filter', true);
ajv.addFormat('json-schema', true);

const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Compiles a params schema (cached per schema object); throws when it is not valid JSON
 * Schema. The registry calls it at load time so a bad schema refuses its package.
 */
export function compileParams(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/**
 * Where a schema `compileParams` refused is not JSON Schema: a pointer into it (`/properties/n/minimum`),
 * or `''` when the meta-schema finds nothing (a `$ref` that resolves nowhere fails only at compile).
 */
export function invalidSchemaPlace(schema: object): string {
  return ajv.validateSchema(schema) ? '' : (ajv.errors?.[0]?.instancePath ?? '');
}

/** The keys of a `oneOf` whose every branch only requires one key (`duration` XOR `until`). */
function exclusiveKeys(error: ErrorObject): string[] | null {
  if (error.keyword !== 'oneOf' || !Array.isArray(error.schema)) return null;
  const keys = (error.schema as { required?: unknown }[]).map((branch) =>
    Object.keys(branch).length === 1 && Array.isArray(branch.required) && branch.required.length === 1
      ? String(branch.required[0])
      : null,
  );
  return keys.every((k) => k !== null) ? (keys as string[]) : null;
}

/** The keys a schema that only requires keys asks for (`{ required: [a] }`, or an `anyOf` of such), or null. */
function requiredKeys(schema: unknown): string[] | null {
  if (!schema || typeof schema !== 'object') return null;
  const { required, anyOf, ...rest } = schema as { required?: unknown; anyOf?: unknown };
  if (Object.keys(rest).length) return null;
  if (Array.isArray(required) && anyOf === undefined) return required.map(String);
  if (Array.isArray(anyOf) && required === undefined) {
    const keys = anyOf.map(requiredKeys);
    return keys.every((k) => k !== null) ? (keys as string[][]).flat() : null;
  }
  return null;
}

/** The part of `root` a `#/…` schema path names. */
function schemaAt(root: object, schemaPath: string): unknown {
  let at: unknown = root;
  for (const segment of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean))
    at =
      at && typeof at === 'object'
        ? (at as Record<string, unknown>)[segment.replace(/~1/g, '/').replace(/~0/g, '~')]
        : undefined;
  return at;
}

/**
 * A `not` that forbids keys (`then: { not: { anyOf: [{ required: ['html'] }] } }`), said for
 * each forbidden key the params hold, with the `if` that forbids it (`/html is not allowed
 * with template`); null for any other `not`.
 */
function forbiddenKeys(error: ErrorObject, root: object): ErrorDetail[] | null {
  if (error.keyword !== 'not') return null;
  const keys = requiredKeys(error.schema);
  const data = error.data;
  if (!keys || !data || typeof data !== 'object') return null;
  const present = keys.filter((key) => Object.hasOwn(data, key));
  if (!present.length) return null;
  const branch = /^(.*)\/(then|else)\/not$/.exec(error.schemaPath);
  const condition = branch ? requiredKeys(schemaAt(root, `${branch[1]}/if`)) : null;
  const because = condition?.length ? ` ${branch?.[2] === 'then' ? 'with' : 'without'} ${condition.join(' and ')}` : '';
  return present.map((key) => {
    const path = `${error.instancePath}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    return { path, message: `${path} is not allowed${because}` };
  });
}

function describe(error: ErrorObject): ErrorDetail {
  const path = schemaErrorPath(error);
  const where = path || 'params';
  const format = error.keyword === 'format' ? (error.params as { format: string }).format : null;
  if (format === 'template')
    return { path, message: `${where} is not a valid template: ${templateError(String(error.data))}` };
  if (format === 'duration' && parseDuration(String(error.data)) !== null)
    return { path, message: `${where} must be ${DURATION_BOUND_TEXT}` };
  if (format === 'duration')
    return { path, message: `${where} must be an ISO 8601 duration of zero or more, such as PT30S or P7D` };
  if (format === 'credential') return { path, message: `${where} must be a credential id (a UUID)` };
  const exclusive = exclusiveKeys(error);
  if (exclusive) return { path, message: `${where} needs exactly one of ${exclusive.join(', ')}` };
  if (error.keyword === 'required') return { path, message: `${where} is required` };
  if (isBlankError(error)) return { path, message: `${where} must not be blank` };
  if (error.keyword === 'additionalProperties') return { path, message: `${where} is not a known param` };
  if (error.keyword === 'propertyNames') {
    const name = (error.params as { propertyName: string }).propertyName;
    const at = `${error.instancePath}/${pointerKey(name)}`;
    // The names' schema says what a name must be in its `description`, when it says.
    const what = (error.schema as { description?: unknown } | undefined)?.description;
    const must = typeof what === 'string' ? `must be named as ${what}` : 'is not an allowed name here';
    return { path: at, message: `${at} ${must}` };
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v));
    return { path, message: `${where} must be one of ${allowed.join(', ')}` };
  }
  return { path, message: `${where} ${error.message ?? 'is invalid'}` };
}

/**
 * Checks params against a node type's JSON Schema. Each problem's `path` is a JSON pointer
 * into the params. Also returns a copy of the params with the schema's defaults filled in,
 * which is what later checks (filters, the type's own hook, computed outputs) should read.
 *
 * @example
 * checkParamsSchema(registry.get('core.webhook', 1)!.definition, { secret: 'short' }).errors
 * // [{ path: '/secret', message: '/secret must NOT have fewer than 16 characters' }]
 */
export function checkParamsSchema(
  node: AnyNodeDefinition,
  params: unknown,
): { errors: ErrorDetail[]; params: unknown } {
  const validate = compileParams(node.params);
  const filled = structuredClone(params);
  if (validate(filled)) return { errors: [], params: filled };
  const errors = validate.errors ?? [];
  // An either-or (`oneOf` of single required keys) is said once, not as each branch's miss.
  const either = errors.filter((e) => exclusiveKeys(e)).map((e) => `${e.schemaPath}/`);
  const seen = new Set<string>();
  const details: ErrorDetail[] = [];
  // An if/then/else is said by its branch's own errors, not as `must match "then" schema`.
  const branches = new Set(
    errors
      .filter((e) => e.keyword !== 'if')
      .map((e) => /^(.*)\/(then|else)\//.exec(e.schemaPath))
      .flatMap((m) => (m ? [`${m[1]}/if ${m[2]}`] : [])),
  );
  for (const error of errors) {
    if (either.some((prefix) => error.schemaPath.startsWith(prefix))) continue;
    // A key that fails `propertyNames` is said once, by name, not as its value's own error.
    if ((error as { propertyName?: string }).propertyName !== undefined) continue;
    const failing = (error.params as { failingKeyword?: string }).failingKeyword;
    if (error.keyword === 'if' && branches.has(`${error.schemaPath} ${failing}`)) continue;
    const forbidden = forbiddenKeys(error, node.params);
    if (forbidden) {
      for (const detail of forbidden) {
        const key = `${detail.path}\n${detail.message}`;
        if (!seen.has(key)) details.push(detail);
        seen.add(key);
      }
      continue;
    }
    // oneOf/anyOf repeat their branches' errors under one summary: keep each message once.
    const detail = describe(error);
    const key = `${detail.path}\n${detail.message}`;
    if (!seen.has(key)) details.push(detail);
    seen.add(key);
  }
  return { errors: details, params: filled };
}
