import type { AnyNodeDefinition, ErrorDetail } from '@waymark/sdk';
import { compileParams } from '../graph/params-schema.js';
import { pointerKey } from '../graph/pointer.js';

type Schema = Record<string, unknown>;

const isSchema = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Each subschema under `schema` that has a `default`, with its pointer in the schema and the param it is for. */
function* defaultsIn(schema: unknown, at: string, param: string): Generator<[Schema, string, string]> {
  if (!isSchema(schema)) return;
  if ('default' in schema) yield [schema, at, param];
  if (isSchema(schema.properties))
    for (const [key, sub] of Object.entries(schema.properties))
      yield* defaultsIn(sub, `${at}/properties/${pointerKey(key)}`, `${param}/${pointerKey(key)}`);
  if (isSchema(schema.additionalProperties))
    yield* defaultsIn(schema.additionalProperties, `${at}/additionalProperties`, `${param}/*`);
  if (isSchema(schema.items)) yield* defaultsIn(schema.items, `${at}/items`, `${param}/*`);
  for (const list of ['prefixItems', 'anyOf', 'oneOf', 'allOf'] as const) {
    const branches = schema[list];
    if (Array.isArray(branches))
      for (const [i, sub] of branches.entries())
        yield* defaultsIn(sub, `${at}/${list}/${i}`, list === 'prefixItems' ? `${param}/${i}` : param);
  }
}

/**
 * The defaults of a node's params that their own schema refuses, one detail each at the
 * default (`/nodes/0/params/properties/n/default`): the engine fills a default into params left
 * out, so such a default failed every graph using the node with a problem at a param the
 * marketer never set (`/n must be integer`). A subschema that does not compile on its own (a
 * `$ref` into the whole schema) is passed over.
 */
export function defaultProblems(node: AnyNodeDefinition, at: string): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  for (const [schema, pointer, param] of defaultsIn(node.params, '/params', '')) {
    let validate: ReturnType<typeof compileParams>;
    try {
      validate = compileParams(schema);
    } catch {
      continue;
    }
    // Validation fills nested defaults in: the definition's own default stays as written.
    if (validate(structuredClone(schema.default))) continue;
    const why = (validate.errors ?? []).map((e) => `${e.instancePath ? `${e.instancePath} ` : ''}${e.message}`);
    problems.push({
      path: `${at}${pointer}/default`,
      message: `${node.type}@${node.version}: the default of param ${param || '/'} (${JSON.stringify(schema.default)}) does not fit its own schema: ${why.join('; ')}`,
    });
  }
  return problems;
}
