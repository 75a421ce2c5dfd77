import { pointerKey } from './pointer.js';

/** The parts of a JSON Schema that the walk follows, and the keywords beside a format. */
export type SchemaNode = {
  format?: string;
  filterContext?: string;
  credentialType?: string;
  /** Any credential type whose `sender` has this channel (`email`, `sms`). */
  credentialChannel?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
};

/** One value whose schema carries a given `format`, with its JSON pointer and its schema. */
export interface FormattedValue {
  path: string;
  value: unknown;
  schema: SchemaNode;
}

/**
 * Every value in `value` whose schema says `format: <format>`, through nested objects, maps
 * (`additionalProperties`) and arrays; a formatted value is not looked into.
 *
 * @example
 * valuesWithFormat(node.params, params, 'filter') // [{ path: '/filter', value: {...}, schema }]
 */
export function valuesWithFormat(schema: object, value: unknown, format: string, pointer = ''): FormattedValue[] {
  const s = schema as SchemaNode;
  if (s.format === format && value !== undefined) return [{ path: pointer, value, schema: s }];
  if (Array.isArray(value))
    return s.items
      ? value.flatMap((v, i) => valuesWithFormat(s.items as SchemaNode, v, format, `${pointer}/${i}`))
      : [];
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, v]) => {
      const child =
        s.properties?.[key] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      return child ? valuesWithFormat(child, v, format, `${pointer}/${pointerKey(key)}`) : [];
    });
  }
  return [];
}
