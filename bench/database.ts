import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connectDatabase, type DatabaseHandle } from '../engine/db/connect.js';
import { migrateDatabase } from '../engine/db/migrate.js';

export const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';

export interface BenchDatabase extends DatabaseHandle {
  url: string;
  drop(): Promise<void>;
}

async function admin(query: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database for one workload, dropped afterwards. */
export async function createBenchDatabase(poolSize = 30): Promise<BenchDatabase> {
  const name = `waymark_bench_${randomBytes(5).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const handle = connectDatabase(url.toString(), { max: poolSize });
  await migrateDatabase(handle.db, url.toString());
  return {
    ...handle,
    url: url.toString(),
    async drop() {
      await handle.close();
      await admin(`drop database if exists ${name} with (force)`);
    },
  };
}

/** `BENCH_SCALE` (default 1) times a workload's base size. */
export function scaled(base: number): number {
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}
