import type { JsonObject, JsonValue } from '../json.js';
import { pointerKey } from '../pointer.js';
import {
  ParamRenderError,
  renderTemplate,
  renderTemplateValue,
  type TemplateKind,
  type TemplateScope,
} from './template.js';

type Schema = {
  format?: string;
  contentMediaType?: string;
  contentTypeFrom?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  templateValue?: boolean;
};

/**
 * The kind of template a media type calls for: `text/html` (or XHTML) → `html`,
 * `application/json`, `text/json` or any `…+json` → `json`, `text/uri-list` (one URL) → `url`,
 * anything else → `text`.
 *
 * @example
 * templateKindOf('application/vnd.api+json') // 'json'
 * templateKindOf(undefined) // 'text'
 */
export function templateKindOf(mediaType: string | undefined): TemplateKind {
  const type = (mediaType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'text/html' || type === 'application/xhtml+xml') return 'html';
  if (type === 'application/json' || type === 'text/json' || /^[a-z]+\/[^\s/]+\+json$/.test(type)) return 'json';
  if (type === 'text/uri-list') return 'url';
  return 'text';
}

/**
 * The kind of a template param: its schema's `contentMediaType`, unless `contentTypeFrom`
 * names a sibling param holding HTTP headers whose `content-type` (any case) says otherwise.
 */
export function templateKind(schema: object, siblings?: JsonObject): TemplateKind {
  const s = schema as Schema;
  let mediaType = s.contentMediaType;
  const headers = s.contentTypeFrom ? siblings?.[s.contentTypeFrom] : undefined;
  if (headers && typeof headers === 'object' && !Array.isArray(headers)) {
    for (const [name, v] of Object.entries(headers))
      if (name.toLowerCase() === 'content-type' && typeof v === 'string') mediaType = v;
  }
  return templateKindOf(mediaType);
}

/**
 * Renders every string in `params` whose schema says `format: "template"`, through nested
 * objects, maps (`additionalProperties`) and arrays, and returns a new value. Each template
 * is rendered as the kind its schema declares (`templateKind`): `contentMediaType:
 * "text/html"` escapes HTML, `"application/json"` yields valid JSON, anything else is text.
 * A param with `contentTypeFrom` is rendered after its siblings, so it sees their values.
 * A param with `templateValue: true` keeps its value's type (`renderTemplateValue`); when that
 * value is missing, its key is left out of the object holding it. A template that fails
 * throws a `ParamRenderError` whose `path` is its JSON pointer in the params.
 *
 * @example
 * await renderParams(node.params, { subject: 'Hi {{ contact.email }}' }, scope)
 */
export async function renderParams(
  schema: object,
  value: JsonValue,
  scope: TemplateScope,
  siblings?: JsonObject,
): Promise<JsonValue> {
  return (await renderParam(schema, value, scope, siblings)) ?? null;
}

// Undefined only from a `templateValue` template whose value is missing: an object leaves its key out.
async function renderParam(
  schema: object,
  value: JsonValue,
  scope: TemplateScope,
  siblings?: JsonObject,
): Promise<JsonValue | undefined> {
  const s = schema as Schema;
  if (typeof value === 'string' && s.format === 'template')
    return s.templateValue
      ? renderTemplateValue(value, scope)
      : renderTemplate(value, scope, templateKind(s, siblings));
  if (Array.isArray(value)) {
    const items = s.items;
    return items
      ? Promise.all(value.map((v, i) => renderParams(items, v, scope).catch((error) => failAt(String(i), error))))
      : value;
  }
  if (value && typeof value === 'object') {
    const out: JsonObject = {};
    const later: [string, Schema, JsonValue][] = [];
    const put = (key: string, v: JsonValue | undefined) => {
      if (v !== undefined) out[key] = v;
    };
    for (const [key, v] of Object.entries(value)) {
      const child =
        s.properties?.[key] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      if (child?.contentTypeFrom) {
        later.push([key, child, v]);
        out[key] = v;
      } else if (child) {
        try {
          put(key, await renderParam(child, v, scope));
        } catch (error) {
          failAt(key, error);
        }
      } else put(key, v);
    }
    for (const [key, child, v] of later) {
      const rendered = await renderParam(child, v, scope, out).catch((error) => failAt(key, error));
      if (rendered === undefined) delete out[key];
      else out[key] = rendered;
    }
    return out;
  }
  return value;
}

/** Rethrows a failure under `key`, a key or index of the value holding it, as a `ParamRenderError` naming its whole path. */
function failAt(key: string, error: unknown): never {
  const segment = `/${pointerKey(key)}`;
  if (error instanceof ParamRenderError) throw new ParamRenderError(`${segment}${error.path}`, error.error);
  throw new ParamRenderError(segment, error);
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
      return child ? templatesIn(child, v, `${pointer}/${pointerKey(key)}`) : [];
    });
  }
  return [];
}
