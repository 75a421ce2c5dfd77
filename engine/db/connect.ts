import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';
import { prepareStatements } from './prepared.js';

// bigint counts (count(*)) arrive as strings by default; they fit in a JS number here.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface DatabaseHandle {
  db: Kysely<Database>;
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * Opens a pool and a Kysely instance over it. Connecting and each statement time out, so
 * that a lost database turns into errors within seconds instead of hanging requests.
 *
 * @example
 * const { db, close } = connectDatabase('postgres://root@127.0.0.1:5432/test');
 */
export function connectDatabase(
  connectionString: string,
  options: {
    max?: number;
    /**
     * Every cached statement keeps one generic plan (`plan_cache_mode`): for a pool that runs
     * one long statement many times, where planning it afresh would cost more than running it.
     */
    genericPlans?: boolean;
    /** What `pg_stat_activity` shows for the pool's connections (`application_name`). */
    applicationName?: string;
  } = {},
): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 20,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    query_timeout: 60_000,
    // Our set-based statements are estimated at millions of rows (json_to_recordset guesses),
    // which sends them through JIT compilation: 1.4 s of a 1.6 s broadcast entry of 5,000
    // contacts was LLVM at work. These are short OLTP statements; JIT never pays here.
    options: options.genericPlans ? '-c jit=off -c plan_cache_mode=force_generic_plan' : '-c jit=off',
    ...(options.applicationName ? { application_name: options.applicationName } : {}),
  });
  // An idle client whose server went away emits 'error'; without a listener it crashes the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
    prepareStatements(client);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    db,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
