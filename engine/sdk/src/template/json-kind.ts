import type { Liquid } from 'liquidjs';
import { insertAt, walkOutputs } from './outputs.js';

/**
 * JSON templates: every output is escaped for where it stands in the JSON text, so that no
 * value can end a string early, add a key or break the document.
 *
 * - Inside a JSON string (`"Hi {{ contact.attributes.name }}"`) the value is written as string
 *   content: `"`, `\` and control characters are escaped, and so are `<`, `>`, `&`, U+2028 and
 *   U+2029 (as `\u003c` …), so the JSON can also sit inside an HTML `<script>`.
 * - Anywhere else (`{"count": {{ steps.n.output.count }}}`) the value is written as a JSON
 *   value: a string is quoted, a number or boolean stays one, an object or array is serialised,
 *   a missing value is `null`.
 * - `| raw` does not opt out: a JSON template always escapes.
 */

/** The filters a JSON template's outputs get appended (private names: a template does not call them). */
export const IN_STRING = '__waymark_json_in_string';
export const AS_VALUE = '__waymark_json_value';

const UNSAFE = /[<>&\u2028\u2029]/g;
const unsafe = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** A value as the content of a JSON string (without the quotes). */
export function jsonStringContent(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'object') text = JSON.stringify(value) ?? '';
  else text = String(value);
  return JSON.stringify(text).slice(1, -1).replace(UNSAFE, unsafe);
}

/** A value as a JSON value (`null` for a missing one). */
export function jsonValue(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(UNSAFE, unsafe);
}

/** Sets up a Liquid instance for JSON templates: its own escaping, and `raw` no longer opts out. */
export function configureJsonLiquid(liquid: Liquid): Liquid {
  liquid.registerFilter(IN_STRING, { handler: jsonStringContent, raw: true });
  liquid.registerFilter(AS_VALUE, { handler: jsonValue, raw: true });
  // An output the source rewrite cannot see (an `echo` inside `{% liquid %}`, `cycle`) is still
  // escaped as string content by `outputEscape`; `raw` must not switch that off.
  liquid.registerFilter('raw', (value: unknown) => value);
  return liquid;
}

/**
 * Appends the right escaping filter to every output (`{{ … }}` and `{% echo … %}`) of a
 * JSON template, by following the JSON text between the outputs to know whether each one
 * stands inside a string.
 */
export function escapeJsonOutputs(source: string, liquid: Liquid): string {
  const inserts: { at: number; text: string }[] = [];
  let inString = false;
  let escaped = false;
  walkOutputs(source, liquid, {
    text(content) {
      for (const ch of content) {
        if (!inString) inString = ch === '"';
        else if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
      }
    },
    output(token) {
      if (inString && escaped)
        throw new Error(`a JSON template has an output right after a backslash: ${token.getText()}`);
      inserts.push({ at: token.contentRange[1], text: ` | ${inString ? IN_STRING : AS_VALUE}` });
    },
  });
  return insertAt(source, inserts);
}

/** Throws unless a rendered JSON template is valid JSON (an empty one is left alone). */
export function assertJson(rendered: string): string {
  if (rendered.trim() === '') return rendered;
  try {
    JSON.parse(rendered);
  } catch (error) {
    throw new Error(`the JSON template does not render valid JSON: ${(error as Error).message}`);
  }
  return rendered;
}
