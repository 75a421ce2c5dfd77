// A run of escapes, or a `%` that starts none (`%A`, `%zz`).
const ESCAPES = /%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*|%/g;

function literal(escapes: string): string {
  try {
    decodeURIComponent(escapes);
    return escapes;
  } catch {
    return escapes.replaceAll('%', '%25');
  }
}

/**
 * The URL the router is given (fastify's `rewriteUrl`): a path whose escapes do not decode
 * (`%ff`, `%E0%A4%A`) has those escapes taken literally (`%25ff`), so it reaches a route like
 * any other path and gets every hook — headers, rate limits, auth — instead of the router's
 * bare "bad URL" answer. No id or token holds such text, so the route answers its own 404 or
 * 400. Paths that decode, and the query string, are left as they are.
 *
 * @example
 * routableUrl('/t/c/%ff%fe?x=1'); // '/t/c/%25ff%25fe?x=1'
 */
export function routableUrl(url: string): string {
  if (!url.includes('%')) return url;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  try {
    decodeURIComponent(path);
    return url;
  } catch {
    return path.replace(ESCAPES, literal) + (query === -1 ? '' : url.slice(query));
  }
}
