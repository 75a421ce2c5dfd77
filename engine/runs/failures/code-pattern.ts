/**
 * Whether an error code matches a pattern: equal, or with a trailing `*` a prefix
 * (`http.status-5*` matches `http.status-503`).
 *
 * @example
 * codeMatches('http.status-5*', 'http.status-500') // true
 */
export function codeMatches(pattern: string, code: string): boolean {
  return pattern.endsWith('*') ? code.startsWith(pattern.slice(0, -1)) : code === pattern;
}

/** A pattern as a SQL LIKE pattern (escape `\`): `%` and `_` in it match only themselves. */
export function codeLike(pattern: string): string {
  const escaped = pattern.replace(/[\\%_]/g, (c) => `\\${c}`);
  return escaped.endsWith('*') ? `${escaped.slice(0, -1)}%` : escaped;
}
