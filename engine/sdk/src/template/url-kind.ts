import type { Liquid } from 'liquidjs';
import { resultsAsWritten } from './escape.js';
import { insertAt, walkOutputs } from './outputs.js';

/**
 * URL templates (`http.request`'s `url`): a value written after the template's own text begins
 * (`https://api.example.com/users/{{ … }}`) is one URL component, percent-encoded as `encodeURIComponent` does (`@` and `:` kept), so that a payload's
 * `a/../../admin?x=1#` stays inside the path segment or query value it was placed in instead of
 * reaching another path of the API with the node's credentials. A value that would be a whole
 * `.` or `..` segment fails the render: URL parsers read even its encoded form as a dot segment.
 *
 * - An output with no text of the template's before it (`{{ trigger.callbackUrl }}`,
 *   `{{ base }}/users/{{ id }}`'s `base`) makes the start of the URL and is written as it is.
 * - An output whose last filter is `raw`, `url_encode`, `cgi_escape` or `uri_escape` is written
 *   as that filter left it: its author chose the encoding. A filter after one of them has its
 *   result encoded again, as in HTML templates.
 */

/** The filters whose result is taken as encoded: written as they leave it, as `raw` is. */
const ENCODINGS = ['url_encode', 'cgi_escape', 'uri_escape'] as const;

const KEPT = /%40|%3A/gi;

/** A value as one URL component (`outputEscape` of URL templates). */
export function urlComponent(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (typeof value === 'object') text = JSON.stringify(value) ?? '';
  else text = String(value);
  if (text === '.' || text === '..')
    throw new Error(`a value written into a URL may not be "${text}", which would move the request to another path`);
  // `@` and `:` mean nothing more in a path segment or a query value, and an email reads as one.
  return encodeURIComponent(text).replace(KEPT, (c) => (c === '%40' ? '@' : ':'));
}

/** Sets up a Liquid instance made with `outputEscape: urlComponent` for URL templates. */
export function configureUrlLiquid(liquid: Liquid): Liquid {
  return resultsAsWritten(liquid, ENCODINGS);
}

/**
 * Marks `raw` every output (`{{ … }}` and `{% echo … %}`) of a URL template that has no text
 * of the template's before it: it makes the start of the URL, and is written as it is. Every other
 * output is encoded by the engine's `outputEscape`, those this rewrite cannot see included.
 */
export function markOriginOutputs(source: string, liquid: Liquid): string {
  const inserts: { at: number; text: string }[] = [];
  let begun = false;
  walkOutputs(source, liquid, {
    text(content) {
      begun ||= content.trim() !== '';
    },
    output(token) {
      if (!begun) inserts.push({ at: token.contentRange[1], text: ' | raw' });
    },
  });
  return insertAt(source, inserts);
}
