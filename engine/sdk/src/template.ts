import { Liquid, type Template } from 'liquidjs';
import type { JsonObject, JsonValue } from './json.js';

/** What a template sees: `contact`, `trigger`, `steps.<nodeId>.output` and `run`. */
export type TemplateScope = {
  contact: JsonValue | object | null;
  trigger: JsonObject;
  steps: Record<string, { output: JsonValue }>;
  run: JsonValue | object;
};

// `templates: {}` gives liquidjs an empty in-memory file system: {% include %} and
// {% render %} find nothing on disk.
const liquid = new Liquid({ templates: {}, strictFilters: true, ownPropertyOnly: true });
const parsed = new Map<string, Template[]>();
const MAX_CACHED = 2000;

function parse(source: string): Template[] {
  let templates = parsed.get(source);
  if (!templates) {
    templates = liquid.parse(source);
    if (parsed.size >= MAX_CACHED) parsed.delete(parsed.keys().next().value as string);
    parsed.set(source, templates);
  }
  return templates;
}

/**
 * Renders one Liquid template. Throws the liquidjs error (with line and column) when the
 * template does not parse.
 *
 * @example
 * await renderTemplate('Hi {{ contact.attributes.firstName }}', scope) // 'Hi Ada'
 */
export async function renderTemplate(source: string, scope: TemplateScope): Promise<string> {
  if (!source.includes('{')) return source;
  return liquid.render(parse(source), scope);
}

/** Checks that a template parses; returns the parse error's message or null. */
export function templateError(source: string): string | null {
  try {
    parse(source);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

type Schema = {
  format?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
};

/**
 * Renders every string in `params` whose schema says `format: "template"`, through nested
 * objects, maps (`additionalProperties`) and arrays, and returns a new value.
 *
 * @example
 * await renderParams(node.params, { subject: 'Hi {{ contact.email }}' }, scope)
 */
export async function renderParams(schema: object, value: JsonValue, scope: TemplateScope): Promise<JsonValue> {
  const s = schema as Schema;
  if (typeof value === 'string') return s.format === 'template' ? renderTemplate(value, scope) : value;
  if (Array.isArray(value)) {
    const items = s.items;
    return items ? Promise.all(value.map((v) => renderParams(items, v, scope))) : value;
  }
  if (value && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [key, v] of Object.entries(value)) {
      const child =
        s.properties?.[key] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      out[key] = child ? await renderParams(child, v, scope) : v;
    }
    return out;
  }
  return value;
}

/** Lists every template string in params with its JSON pointer, to check them before publishing. */
export function templatesIn(schema: object, value: unknown, pointer = ''): { path: string; source: string }[] {
  const s = schema as Schema;
  if (typeof value === 'string') return s.format === 'template' ? [{ path: pointer, source: value }] : [];
  if (Array.isArray(value))
    return s.items ? value.flatMap((v, i) => templatesIn(s.items as Schema, v, `${pointer}/${i}`)) : [];
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, v]) => {
      const child =
        s.properties?.[key] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      return child ? templatesIn(child, v, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`) : [];
    });
  }
  return [];
}
