import { type HttpResponse, NodeError, redactUrl } from '@waymark/sdk';

/** One request of a chain of redirects: where it goes and what it sends. */
export interface Hop {
  url: URL;
  /** Upper case. */
  method: string;
  headers: Record<string, string>;
  body?: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** fetch's request-body-header names (and the length): they describe a body a GET no longer has. */
const BODY_HEADERS = new Set([
  'content-type',
  'content-encoding',
  'content-language',
  'content-location',
  'content-length',
]);

/**
 * Credentials written for the origin first called: fetch drops `Authorization` on a redirect to
 * another origin, and a `Cookie` or `Proxy-Authorization` is no less someone else's to see.
 */
const ORIGIN_CREDENTIALS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * Where an answer sends the chain, resolved against the URL that gave it; null when it is the
 * answer itself (no redirect status, or no `Location`). Only http and https are followed.
 *
 * @example
 * redirectTarget({ status: 302, headers: { location: '/v2/orders' } }, new URL('https://api.example.com/orders'))
 * // URL https://api.example.com/v2/orders
 */
export function redirectTarget(answer: Pick<HttpResponse, 'status' | 'headers'>, from: URL): URL | null {
  const location = answer.headers.location;
  if (!REDIRECTS.has(answer.status) || !location) return null;
  let to: URL;
  try {
    to = new URL(location, from);
  } catch (error) {
    throw new NodeError(`${redactUrl(from.href)} redirected to "${redactUrl(location)}", which is not a URL`, {
      cause: error,
      code: 'http.invalid-url',
    });
  }
  if (to.protocol !== 'http:' && to.protocol !== 'https:')
    throw new NodeError(`refused: ${redactUrl(from.href)} redirected to a ${to.protocol} URL`, {
      code: 'http.invalid-url',
    });
  return to;
}

/**
 * The request after `status` sent `hop` to `to`, as fetch makes it: a POST redirected by 301
 * or 302, and anything but GET or HEAD by 303, becomes a GET without its body; 307 and 308
 * keep method and body. Another origin (scheme, host, port) gets no `ORIGIN_CREDENTIALS`;
 * every other header, the `Idempotency-Key` included, goes on.
 */
export function nextHop(hop: Hop, status: number, to: URL): Hop {
  const toGet =
    ((status === 301 || status === 302) && hop.method === 'POST') ||
    (status === 303 && hop.method !== 'GET' && hop.method !== 'HEAD');
  const crossOrigin = to.origin !== hop.url.origin;
  const headers = Object.fromEntries(
    Object.entries(hop.headers).filter(([name]) => {
      const lower = name.toLowerCase();
      return !(toGet && BODY_HEADERS.has(lower)) && !(crossOrigin && ORIGIN_CREDENTIALS.has(lower));
    }),
  );
  if (toGet) return { url: to, method: 'GET', headers };
  return { url: to, method: hop.method, headers, ...(hop.body !== undefined ? { body: hop.body } : {}) };
}
