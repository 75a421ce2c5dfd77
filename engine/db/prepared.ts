import { createHash } from 'node:crypto';
import type pg from 'pg';

// A connection keeps every statement it prepared; past this many distinct texts, stop adding.
// (Every workload of the bench together ran 136.)
const MAX_PREPARED_PER_CONNECTION = 500;

type Query = (...args: unknown[]) => unknown;

// Names by text, for the process: a statement's text is hashed once, not at every call (SHA-1
// of a 3 KB text was 1% of a busy server's CPU). Bounded like the connections' own sets.
const names = new Map<string, string>();

function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `wm_${createHash('sha1').update(text).digest('base64url')}`;
    if (names.size < MAX_PREPARED_PER_CONNECTION) names.set(text, name);
  }
  return name;
}

// "cached plan must not change result type"
const CACHED_PLAN_CHANGED = '0A000';

/**
 * Makes `client` run parameterised statements as named prepared statements, so that
 * PostgreSQL parses each distinct text once per connection instead of on every call, and
 * after five runs keeps a generic plan when it costs no more than planning afresh (its
 * `plan_cache_mode = auto`): the engine's step statements are long CTEs run thousands of
 * times a second, and an inbound reply ran ten short statements, each parsed and planned
 * every time (1.9 ms of PostgreSQL's CPU a reply; 1.4 ms prepared). Statements without
 * parameters (migrations hold several statements in one text, which cannot be prepared) go
 * through unchanged.
 */
export function prepareStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as Query;
  const prepared = new Set<string>();
  const stale = new Set<string>();
  (client as unknown as { query: Query }).query = (...args: unknown[]) => {
    const [text, values] = args;
    if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0 || args.length !== 2)
      return query(...args);
    const name = statementName(text);
    if (stale.has(name)) return query(...args);
    if (!prepared.has(name)) {
      if (prepared.size >= MAX_PREPARED_PER_CONNECTION) return query(...args);
      prepared.add(name);
    }
    return (query({ name, text, values }) as Promise<unknown>).catch((error: { code?: string }) => {
      // A table changed under the plan (a migration by a newer process): run this text
      // unprepared on this connection from now on. (Inside a transaction the retry fails
      // too, as the transaction is aborted; the caller's retry then takes the plain path.)
      if (error?.code !== CACHED_PLAN_CHANGED) throw error;
      stale.add(name);
      return query(text, values);
    });
  };
}
