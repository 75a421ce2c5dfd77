import type { Liquid } from 'liquidjs';

type Handler = (this: unknown, value: unknown, ...args: unknown[]) => unknown;

/** The filters whose result is HTML-escaped text. */
const HTML_ESCAPES = ['escape', 'escape_once', 'xml_escape', 'h'] as const;

/**
 * Sets up a Liquid engine's escaping filters. `h` is the short name Shopify's Liquid gives
 * `escape` (liquidjs has none). In an engine that HTML-escapes every output (`html`), an output
 * whose last filter is one of these is already escaped, so it is written as it is, like `| raw`:
 * authors used to Shopify or Jekyll write `{{ x | escape }}` and must get `&amp;`, not
 * `&amp;amp;`. A filter after it (`| escape | append: '<i>'`) still has the whole result
 * escaped again, so nothing appended can become markup. Call before `limitFilters`.
 */
export function configureEscapeFilters(liquid: Liquid, kind: 'text' | 'html'): Liquid {
  liquid.registerFilter('h', liquid.filters.escape);
  return kind === 'html' ? resultsAsWritten(liquid, HTML_ESCAPES) : liquid;
}

/**
 * Registers the filters `names` again with their results taken as already escaped: an output
 * whose last filter is one of them skips the engine's `outputEscape`, as `| raw` does.
 */
export function resultsAsWritten(liquid: Liquid, names: readonly string[]): Liquid {
  for (const name of names) {
    const impl = liquid.filters[name];
    const handler = (typeof impl === 'function' ? impl : impl.handler) as Handler;
    liquid.registerFilter(name, { handler, raw: true });
  }
  return liquid;
}
