import type { AnyNodeDefinition, ErrorDetail } from '@waymark/sdk';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { RE2JS } from 're2js';
import { valuesWithFormat } from './formatted-values.js';

type FormatsPlugin = (ajv: Ajv) => Ajv;
// ajv-formats is CommonJS: under NodeNext its plugin arrives as the module's `default`.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  addFormatsModule) as FormatsPlugin;

/**
 * A schema's `pattern` and `patternProperties` as RE2 runs them (re2js), in time linear in the
 * text. JavaScript's backtracking RegExp takes exponential time on some patterns (`^(a+)+$`
 * against `aaaa…a!`): a caller holding the webhook's secret could send such a text and hold the
 * process's event loop for minutes, every request and step of the process waiting. A pattern
 * RE2 cannot run (a lookahead, a backreference) makes the schema invalid, so publishing
 * refuses it naming the pattern. `toString` tells ajv's compiled patterns apart.
 */
const linearRegExp = Object.assign(
  (pattern: string) => {
    let compiled: RE2JS;
    try {
      compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
    } catch (error) {
      throw new Error(
        `the pattern ${JSON.stringify(pattern)} cannot be run in linear time (${(error as Error).message}); lookaheads, lookbehinds and backreferences are not supported`,
      );
    }
    return { test: (text: string) => compiled.matcher(text).find(), toString: () => `/${pattern}/` };
  },
  { code: 'linearRegExp' },
);

// The ajv of the schemas marketers write for what arrives (a webhook's payload): apart from
// the params' own, whose Waymark formats and filled-in defaults a payload must not see.
const ajv = addFormats(new Ajv({ strict: false, allErrors: true, code: { regExp: linearRegExp } }));

/**
 * Compiles a JSON Schema that checks incoming data; throws when it is not one (a keyword of the
 * wrong shape, an unknown type, a `$ref` to nowhere).
 *
 * @example
 * compilePayloadSchema({ type: 'object', required: ['email'] })({ email: 'a@b.co' }); // true
 */
export function compilePayloadSchema(schema: object): ValidateFunction {
  return ajv.compile(schema);
}

/**
 * Checks every param whose schema says `format: "json-schema"` (core.webhook's `schema`)
 * compiles: a schema that does not would check nothing. Paths are JSON pointers into the params.
 */
export function checkJsonSchemaParams(node: AnyNodeDefinition, params: unknown): ErrorDetail[] {
  return valuesWithFormat(node.params, params, 'json-schema').flatMap(({ path, value }) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
    try {
      compilePayloadSchema(value);
      return [];
    } catch (error) {
      return [{ path, message: `${path} is not a valid JSON Schema: ${(error as Error).message}` }];
    }
  });
}
