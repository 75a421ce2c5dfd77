import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import { connectDatabase } from '../../engine/db/connect.js';
import type { Database } from '../../engine/db/database.js';
import { withDatabase } from '../global-setup.js';

export interface TestDatabase {
  url: string;
  db: Kysely<Database>;
  pool: pg.Pool;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Runs one statement as the PostgreSQL superuser (roles, ALTER DATABASE, terminating backends). */
export async function adminQuery(sql: string): Promise<void> {
  await admin((client) => client.query(sql));
}

/**
 * Runs `during` while the database at `url` takes no connections (ALLOW_CONNECTIONS false, as
 * during maintenance) and those it had are ended; it takes them again afterwards.
 */
export async function whileDatabaseClosed(url: string, during: () => Promise<void>): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await adminQuery(`alter database "${name}" allow_connections false`);
  try {
    await adminQuery(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}'`);
    await during();
  } finally {
    await adminQuery(`alter database "${name}" allow_connections true`);
  }
}

/**
 * A fresh, migrated database of the test file's own, copied from the template that the
 * global setup migrated. Call `drop()` in `afterAll`.
 *
 * @example
 * let tdb: TestDatabase;
 * beforeAll(async () => { tdb = await createTestDatabase(); });
 * afterAll(() => tdb.drop());
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `waymark_test_${randomBytes(6).toString('hex')}`;
  const template = inject('templateDatabase');
  for (let attempt = 1; ; attempt++) {
    try {
      await admin((c) => c.query(`create database ${name} template ${template}`));
      break;
    } catch (error) {
      // Two files copying the template at the same instant: PostgreSQL refuses one; try again.
      if (attempt >= 20 || !/being accessed by other users/.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
    }
  }
  const url = withDatabase(inject('adminDatabaseUrl'), name);
  const handle = connectDatabase(url, { max: 10 });
  return {
    url,
    db: handle.db,
    pool: handle.pool,
    async drop() {
      await handle.close();
      await admin((c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}
