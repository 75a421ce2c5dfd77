import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runMigrations } from 'graphile-worker';
import { type Kysely, sql } from 'kysely';
import { type Migration, Migrator } from 'kysely/migration';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { connectDatabase } from '../../../engine/db/connect.js';
import type { Database } from '../../../engine/db/database.js';
import { withDatabase } from '../../global-setup.js';

// Migration 0078 keys templates by (workspace_id, id): the templates and versions stored
// before it keep their content, and their versions take their template's workspace.
const dir = fileURLToPath(new URL('../../../migrations/', import.meta.url));
const name = `waymark_test_${randomBytes(6).toString('hex')}`;
const adminUrl = inject('adminDatabaseUrl');
let handle: ReturnType<typeof connectDatabase>;

async function admin(query: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(query).finally(() => client.end());
}

/** Migrates to the newest migration named before `upTo` (all when absent). */
async function migrate(db: Kysely<Database>, upTo?: string) {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_.*\.ts$/.test(f) && (!upTo || f < upTo))
    .sort();
  const migrations: Record<string, Migration> = {};
  for (const file of files) migrations[file.replace(/\.ts$/, '')] = (await import(`${dir}${file}`)) as Migration;
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateToLatest();
  if (error) throw error;
}

beforeAll(async () => {
  await admin(`create database ${name}`);
  const url = withDatabase(adminUrl, name);
  handle = connectDatabase(url, { max: 2 });
  await runMigrations({ connectionString: url, logger: undefined });
  await migrate(handle.db, '0078_');
}, 60_000);
afterAll(async () => {
  await handle?.close();
  await admin(`drop database if exists ${name} with (force)`);
});

test('templates stored before keep their versions, which take their template’s workspace', async () => {
  const { db } = handle;
  await sql`
    insert into templates (workspace_id, id, version) values ((select id from workspaces where is_default), 'welcome', 2);
    insert into template_versions (template_id, version, name, format, subject, body)
      values ('welcome', 1, 'Welcome', 'html', 'v1', '<p>1</p>'), ('welcome', 2, 'Welcome', 'html', 'v2', '<p>2</p>');
  `.execute(db);
  await migrate(db);
  const workspace = (
    await db.selectFrom('workspaces').select('id').where('is_default', '=', true).executeTakeFirstOrThrow()
  ).id;
  const versions = await db
    .selectFrom('template_versions')
    .select(['workspace_id', 'template_id', 'version', 'subject'])
    .orderBy('version')
    .execute();
  expect(versions).toEqual([
    { workspace_id: workspace, template_id: 'welcome', version: 1, subject: 'v1' },
    { workspace_id: workspace, template_id: 'welcome', version: 2, subject: 'v2' },
  ]);

  // Another workspace may now hold `welcome` too; deleting it leaves the default's versions.
  const other = (await db.insertInto('workspaces').values({ name: 'B' }).returning('id').executeTakeFirstOrThrow()).id;
  await db.insertInto('templates').values({ workspace_id: other, id: 'welcome', version: 1 }).execute();
  await db
    .insertInto('template_versions')
    .values({
      workspace_id: other,
      template_id: 'welcome',
      version: 1,
      name: 'B',
      format: 'html',
      subject: 'B',
      body: 'B',
    })
    .execute();
  await db.deleteFrom('templates').where('workspace_id', '=', other).execute();
  expect(await db.selectFrom('template_versions').select('workspace_id').execute()).toEqual([
    { workspace_id: workspace },
    { workspace_id: workspace },
  ]);
  // A version cannot name a template its workspace does not hold.
  await expect(
    db
      .insertInto('template_versions')
      .values({
        workspace_id: other,
        template_id: 'welcome',
        version: 3,
        name: 'B',
        format: 'html',
        subject: 'B',
        body: 'B',
      })
      .execute(),
  ).rejects.toThrow(/foreign key/);
});
