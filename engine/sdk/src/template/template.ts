import { Liquid, type Template } from 'liquidjs';
import { NodeError } from '../errors.js';
import type { JsonObject, JsonValue } from '../json.js';
import { configureEscapeFilters } from './escape.js';
import { limitFilters } from './filter-limits.js';
import { assertJson, configureJsonLiquid, escapeJsonOutputs, jsonStringContent } from './json-kind.js';
import { LINK_MARK_VARIABLE, linkMarkComment, markTemplateLinks, newLinkMark } from './links.js';
import { configureUrlLiquid, markOriginOutputs, urlComponent } from './url-kind.js';
import { asJson, singleOutput } from './value.js';

/** What a template sees: `contact`, `trigger`, `steps.<nodeId>.output`, `run` and `unsubscribeUrl`. */
export type TemplateScope = {
  contact: JsonValue | object | null;
  trigger: JsonObject;
  steps: Record<string, { output: JsonValue }>;
  run: JsonValue | object;
  unsubscribeUrl?: string;
};

/**
 * What `{{ unsubscribeUrl }}` renders to in a node's params. The message it belongs to does not
 * exist until the node sends it, so the messages service puts the message's own unsubscribe
 * link (marketing mail; nothing otherwise) in its place.
 *
 * @example
 * html.replaceAll(UNSUBSCRIBE_URL_PLACEHOLDER, unsubscribeLink)
 */
export const UNSUBSCRIBE_URL_PLACEHOLDER = 'https://unsubscribe.waymark.invalid/this-message';

/**
 * How a template's outputs are escaped: `text` not at all (subjects, text parts, SMS),
 * `html` HTML-escaped unless `| raw` (and its links marked as the template's own), `json`
 * escaped for their place in the JSON text, so the result is valid JSON whatever the values,
 * `url` each a URL component after the URL's start (url-kind.ts).
 */
export type TemplateKind = 'text' | 'html' | 'json' | 'url';

/**
 * What one render of a template may cost, for every Liquid engine of Waymark (node params, email
 * templates, previews, test runs): `renderLimit` ms of rendering, and `memoryLimit` characters or
 * elements made by ranges and filters (`(1..n)`, `append`, `replace`, `join` …). Past either,
 * the render fails with a Liquid error ("… limit exceeded") instead of holding the CPU or
 * exhausting the process's memory: templates are written by journey authors, not by admins.
 * A render holds its process's event loop while it runs (liquidjs awaits only microtasks), so
 * the time is kept short: a 60 KB email with a 500-row loop renders in 10–30 ms.
 */
export const TEMPLATE_LIMITS = { renderLimit: 500, memoryLimit: 32 * 1024 * 1024 } as const;

/**
 * The files `{% render %}`, `{% include %}` and `{% layout %}` may insert, for liquidjs's
 * in-memory file system: these alone, none on disk. liquidjs looks a name up as a property
 * (`mapping[name]`), so the object has no prototype: `constructor` or `__proto__` is no file.
 */
export function templateFiles(files: Readonly<Record<string, string>> = {}): Record<string, string> {
  return Object.assign(Object.create(null) as Record<string, string>, files);
}

const options = { templates: templateFiles(), strictFilters: true, ownPropertyOnly: true, ...TEMPLATE_LIMITS } as const;
const engines: Record<TemplateKind, Liquid> = {
  text: limitFilters(configureEscapeFilters(new Liquid(options), 'text')),
  html: limitFilters(configureEscapeFilters(new Liquid({ ...options, outputEscape: 'escape' }), 'html')),
  // outputEscape covers the outputs the JSON rewrite cannot place (`echo` inside `{% liquid %}`).
  json: limitFilters(
    configureJsonLiquid(configureEscapeFilters(new Liquid({ ...options, outputEscape: jsonStringContent }), 'text')),
  ),
  url: limitFilters(
    configureUrlLiquid(configureEscapeFilters(new Liquid({ ...options, outputEscape: urlComponent }), 'text')),
  ),
};
const liquid = engines.text;
/** Parsed templates kept for the next render, by source, with what each costs to keep. */
const parsed: Record<TemplateKind, Map<string, { templates: Template[]; cost: number }>> = {
  text: new Map(),
  html: new Map(),
  json: new Map(),
  url: new Map(),
};
const cachedCost: Record<TemplateKind, number> = { text: 0, html: 0, json: 0, url: 0 };
const MAX_CACHED = 2000;
/**
 * What the parsed templates of one kind may cost in all, in about bytes: a template parses to
 * objects some thousand bytes for each output or tag (`{{ }}`, `{% %}`), so a count of templates
 * alone bounds nothing (a journey author's 100 kB of outputs kept some 30 MiB). One costing
 * over an eighth of it is parsed for each render, not kept.
 */
const MAX_CACHED_COST = 32 * 1024 * 1024;
const COST_PER_MARKUP = 2048;

/** How many outputs and tags (`{{`, `{%`) a template's source opens. */
function markupCount(source: string): number {
  let markups = 0;
  for (let at = source.indexOf('{'); at !== -1; at = source.indexOf('{', at + 1)) {
    const next = source[at + 1];
    if (next === '{' || next === '%') markups++;
  }
  return markups;
}

/** About what keeping a template's parse costs: its source and a share for each output or tag. */
function parseCost(source: string): number {
  return source.length * 2 + markupCount(source) * COST_PER_MARKUP;
}

/**
 * The most outputs and tags one template (or snippet) may hold. liquidjs parses in time growing
 * with the square of their count (its parser takes each token off the front of one array): 200 000
 * of them, 1 MB, held a process for minutes. Ten thousand parse in well under a second.
 */
export const MAX_TEMPLATE_MARKUP = 10_000;

/**
 * Throws a parse error (`template.parse`, as `templateErrorCode` reads it) when `source` holds
 * more than MAX_TEMPLATE_MARKUP outputs and tags, before anything parses it.
 */
export function assertTemplateMarkup(source: string): void {
  if (source.length < MAX_TEMPLATE_MARKUP * 2) return;
  const count = markupCount(source);
  if (count <= MAX_TEMPLATE_MARKUP) return;
  const error = new Error(`the template holds ${count} outputs and tags, more than ${MAX_TEMPLATE_MARKUP}`);
  error.name = 'ParseError';
  throw error;
}

/**
 * The source a kind of template is parsed from: HTML links marked, JSON outputs given their
 * escaping, a URL's starting outputs marked raw.
 */
function prepareSource(source: string, kind: TemplateKind): string {
  if (kind === 'html') return markTemplateLinks(source, engines.html);
  if (kind === 'json') return escapeJsonOutputs(source, engines.json);
  if (kind === 'url') return markOriginOutputs(source, engines.url);
  return source;
}

function parse(source: string, kind: TemplateKind = 'text'): Template[] {
  const cache = parsed[kind];
  const cached = cache.get(source);
  if (cached) return cached.templates;
  assertTemplateMarkup(source);
  const templates = engines[kind].parse(prepareSource(source, kind));
  const cost = parseCost(source);
  if (cost > MAX_CACHED_COST / 8) return templates;
  // The oldest leave first, until the new one fits both bounds.
  for (const [oldest, entry] of cache) {
    if (cache.size < MAX_CACHED && cachedCost[kind] + cost <= MAX_CACHED_COST) break;
    cache.delete(oldest);
    cachedCost[kind] -= entry.cost;
  }
  cache.set(source, { templates, cost });
  cachedCost[kind] += cost;
  return templates;
}

/**
 * Renders one Liquid template as `kind` (default `text`). Throws the liquidjs error (with
 * line and column) when the template does not parse, and for `json` when the result is not
 * valid JSON (which only the template's own text, never a value, can cause).
 *
 * An `html` result ends with a comment holding the render's link mark (see template-links.ts);
 * `ctx.messages.send` strips it, other uses remove it with `withoutLinkMarks`.
 *
 * @example
 * await renderTemplate('Hi {{ contact.attributes.firstName }}', scope) // 'Hi Ada'
 * await renderTemplate('<p>{{ contact.attributes.bio }}</p>', scope, 'html') // '<p>&lt;b&gt;…'
 * await renderTemplate('{"name": "{{ contact.attributes.name }}"}', scope, 'json') // '{"name": "A \"B\""}'
 * await renderTemplate('https://api.example.com/users/{{ trigger.id }}', scope, 'url') // '…/users/a%2F..%2Fadmin'
 */
export async function renderTemplate(
  source: string,
  scope: TemplateScope,
  kind: TemplateKind = 'text',
): Promise<string> {
  if (kind === 'text') {
    if (!source.includes('{')) return source;
    return liquid.render(parse(source), scope);
  }
  if (kind === 'json') return assertJson(await engines.json.render(parse(source, 'json'), scope));
  if (kind === 'url') return source.includes('{') ? engines.url.render(parse(source, 'url'), scope) : source;
  const mark = newLinkMark();
  const html = await engines.html.render(
    parse(source, 'html'),
    Object.assign({}, scope, { [LINK_MARK_VARIABLE]: mark }),
  );
  return `${html}${linkMarkComment(mark)}`;
}

/**
 * Renders a template whose value keeps its JSON type: one that is exactly one output tag
 * (`{{ trigger.score }}`, whitespace around it allowed) gives the value itself, a number,
 * boolean, object, array or null, and undefined when the value is missing; any other template
 * renders to text as `renderTemplate` does. A param opts in with `templateValue: true`.
 *
 * @example
 * await renderTemplateValue('{{ trigger.score }}', scope) // 42
 * await renderTemplateValue('Score {{ trigger.score }}', scope) // 'Score 42'
 */
export async function renderTemplateValue(source: string, scope: TemplateScope): Promise<JsonValue | undefined> {
  const expression = singleOutput(source, liquid);
  return expression === null ? renderTemplate(source, scope) : asJson(await liquid.evalValue(expression, scope));
}

/** Checks that a template parses (as `kind`, default text); returns the parse error's message or null. */
export function templateError(source: string, kind: TemplateKind = 'text'): string | null {
  try {
    parse(source, kind);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The step error code of a template that failed: liquidjs names its syntax errors ParseError /
 * TokenizationError (`template.parse`); the rest fail while rendering (`template.render`).
 */
export function templateErrorCode(error: unknown): 'template.parse' | 'template.render' {
  const failed = error instanceof ParamRenderError ? error.error : error;
  return failed instanceof Error && /Parse|Tokeniz/.test(failed.name) ? 'template.parse' : 'template.render';
}

/**
 * A template param that failed to render, at `path`, a JSON pointer into the params: its
 * message names the param before liquidjs's own (`/body: the JSON template does not render
 * valid JSON: …`), so a node with several templates (a subject, an html, a text) says which.
 *
 * @example
 * try { await renderParams(schema, params, scope) } catch (e) { if (e instanceof ParamRenderError) e.path } // '/body'
 */
export class ParamRenderError extends Error {
  constructor(
    readonly path: string,
    readonly error: unknown,
  ) {
    super(`${path || '/'}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    this.name = 'ParamRenderError';
  }
}

/**
 * What a step fails with when a template in its params does not render, in the engine as in
 * `runNode`: a `NodeError` naming the param, of code `template.parse` or `template.render`.
 *
 * @example
 * paramsRenderFailure(new ParamRenderError('/body', error)).message
 * // 'a template in the params does not render: /body: the JSON template does not render valid JSON: …'
 */
export function paramsRenderFailure(error: unknown): NodeError {
  const message = error instanceof Error ? error.message : String(error);
  return new NodeError(`a template in the params does not render: ${message}`, {
    cause: error,
    code: templateErrorCode(error),
  });
}

/**
 * The parts of the scope (`contact`, `trigger`, `steps`, `run`, …) a template may read: the
 * variables liquidjs finds it reading, and any root it so much as names in its text (a root
 * reached by a computed key, `[name]`, is named somewhere). Null when it does not parse: take
 * it to read everything.
 *
 * @example
 * templateReads('Hi {{ contact.attributes.firstName }}') // Set { 'contact' }
 * templateReads('https://x.test/?id={{ trigger.id }}') // Set { 'trigger' }
 */
export function templateReads(source: string, kind: TemplateKind = 'text'): ReadonlySet<string> | null {
  try {
    const roots = new Set(engines[kind].globalVariablesSync(parse(source, kind)));
    for (const [root, named] of SCOPE_ROOTS) if (named.test(source)) roots.add(root);
    return roots;
  } catch {
    return null;
  }
}

const SCOPE_ROOTS = (['contact', 'trigger', 'steps', 'run', 'unsubscribeUrl'] as const).map(
  (root: keyof TemplateScope) => [root, new RegExp(`\\b${root}\\b`)] as const,
);
