import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { connectDatabase } from '../engine/db/connect.js';
import { migrateDatabase } from '../engine/db/migrate.js';
import { createLogger } from '../engine/logger.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../server/embedded-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    templateDatabase: string;
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Once per `npm test`: finds PostgreSQL (TEST_DATABASE_URL, or the embedded one when none
 * answers), builds a migrated template database, and hands both to the test files, which
 * copy the template into a database of their own.
 */
export default async function setup(project: TestProject) {
  let adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
  let embedded: EmbeddedDatabase | null = null;
  let embeddedDir: string | null = null;
  if (!(await answers(adminUrl))) {
    embeddedDir = mkdtempSync(path.join(os.tmpdir(), 'waymark-test-pg-'));
    embedded = await startEmbeddedPostgres(embeddedDir, createLogger('warn'));
    adminUrl = embedded.url.replace(/\/waymark$/, '/postgres');
  }
  const template = `waymark_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${template} with (force)`);
  await admin.query(`create database ${template}`);
  const templateUrl = withDatabase(adminUrl, template);
  const handle = connectDatabase(templateUrl, { max: 2 });
  await migrateDatabase(handle.db, templateUrl).finally(() => handle.close());
  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('templateDatabase', template);
  return async () => {
    await admin.query(`drop database if exists ${template} with (force)`).catch(() => {});
    await admin.end();
    await embedded?.stop();
    if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
