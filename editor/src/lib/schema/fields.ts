import type { Schema } from '../api/types/catalogue.ts';
import type { JsonObject, JsonValue } from '../api/types/json.ts';

export type FieldKind =
  | 'template'
  | 'credential'
  | 'email-template'
  | 'duration'
  | 'filter'
  | 'enum'
  | 'boolean'
  | 'number'
  | 'string'
  | 'object'
  | 'map'
  | 'array-objects'
  | 'array-strings'
  | 'json';

/** The first non-null type a schema names (`["string", "null"]` is edited as a string). */
export function typeOf(schema: Schema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null');
  if (schema.type) return schema.type;
  if (schema.properties) return 'object';
  if (schema.enum) return typeof schema.enum[0];
  return undefined;
}

/** Which widget draws a schema. Anything the form cannot draw falls back to a JSON text box. */
export function fieldKind(schema: Schema): FieldKind {
  if (schema.format === 'filter') return 'filter';
  if (schema.format === 'template') return 'template';
  if (schema.format === 'credential') return 'credential';
  if (schema.format === 'email-template') return 'email-template';
  if (schema.format === 'duration') return 'duration';
  if (schema.enum) return 'enum';
  if (schema.const !== undefined) return 'enum';
  switch (typeOf(schema)) {
    case 'boolean':
      return 'boolean';
    case 'number':
    case 'integer':
      return 'number';
    case 'string':
      return 'string';
    case 'object':
      if (schema.properties) return 'object';
      if (schema.additionalProperties && typeof schema.additionalProperties === 'object') return 'map';
      return 'json';
    case 'array': {
      const items = schema.items;
      if (items && typeOf(items) === 'object' && items.properties) return 'array-objects';
      if (items && typeOf(items) === 'string' && !items.format) return 'array-strings';
      return 'json';
    }
    default:
      return 'json';
  }
}

/** The label of a field: its schema title, else its key with the camelCase broken up. */
export function labelOf(key: string, schema: Schema): string {
  if (schema.title) return schema.title;
  const words = key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[-_]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Starting params for a new node: schema defaults, recursively for required objects. */
export function defaults(schema: Schema): JsonObject {
  const out: JsonObject = {};
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    const value = defaultOf(sub, schema.required?.includes(key) ?? false);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function defaultOf(schema: Schema, required: boolean): JsonValue | undefined {
  if (schema.default !== undefined) return structuredClone(schema.default);
  if (!required) return undefined;
  if (typeOf(schema) === 'object' && schema.properties) return defaults(schema);
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  if (typeOf(schema) === 'boolean') return false;
  return undefined;
}

/** A new item for an array of objects: its defaults, with `key` numbered so variants stay distinct. */
export function newItem(items: Schema, existing: readonly JsonValue[]): JsonObject {
  const item = defaults(items);
  if (items.properties?.key && typeOf(items.properties.key) === 'string') {
    const taken = new Set(existing.map((e) => (e && typeof e === 'object' && !Array.isArray(e) ? e.key : null)));
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    item.key = [...letters].find((l) => !taken.has(l)) ?? `v${existing.length + 1}`;
  }
  if (items.properties?.weight) item.weight = 0;
  return item;
}

export function isObject(value: JsonValue | undefined): value is JsonObject {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** One JSON pointer segment (RFC 6901): `~` and `/` inside keys are escaped. */
export function segment(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}
