import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMigrations } from 'graphile-worker';
import type { Kysely } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import type { Database } from './database.js';

const migrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

class FolderMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await fs.readdir(migrationsDir)).filter((f) => /^\d{4}_.*\.ts$/.test(f)).sort();
    const entries = await Promise.all(
      files.map(
        async (file) =>
          [file.replace(/\.ts$/, ''), (await import(path.join(migrationsDir, file))) as Migration] as const,
      ),
    );
    return Object.fromEntries(entries);
  }
}

/** A migration that failed; `cause` holds the database's error. */
export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/**
 * Brings the database to the newest schema: graphile-worker's own schema first, then ours.
 * Safe when several processes start at once (both migrators take a lock).
 *
 * @example
 * await migrateDatabase(db, 'postgres://root@127.0.0.1:5432/test');
 */
export async function migrateDatabase(db: Kysely<Database>, connectionString: string): Promise<string[]> {
  await runMigrations({ connectionString, logger: undefined });
  const migrator = new Migrator({ db, provider: new FolderMigrationProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
