import type { Kysely } from 'kysely';
import semver from 'semver';
import type { Database } from '../db/database.js';
import type { NodeRegistry } from '../registry/registry.js';
import type { PackageEntry } from './entry-types.js';
import { SDK_VERSION } from './files.js';
import { listPackageRows, loadErrorsOf, type PackageRow, packageUsers } from './store.js';

/**
 * An installed version's entry: what this process loaded, what the table holds, which
 * journey versions of `workspaceId` use it and which processes failed to load it.
 */
export async function installedEntry(
  db: Kysely<Database>,
  registry: NodeRegistry,
  workspaceId: string,
  row: PackageRow,
): Promise<PackageEntry> {
  const loaded = registry.installedPackages().find((p) => p.name === row.name && p.version === row.version);
  const users = await packageUsers(db, row.name, row.version);
  const errors = await loadErrorsOf(db, row.name, row.version);
  return {
    ...(loaded ?? {
      name: row.name,
      version: row.version,
      source: 'installed',
      nodes: [],
      credentials: [],
      error: 'not loaded in this process yet',
    }),
    description: typeof row.manifest.description === 'string' ? row.manifest.description : null,
    integrity: row.integrity,
    installedAt: row.installedAt.toISOString(),
    dependencies: row.dependencies,
    usedBy: users
      .filter((u) => u.workspaceId === workspaceId)
      .map(({ journeyId, journeyName, version }) => ({ journeyId, journeyName, version })),
    loadErrors: errors.map((e) => ({ process: e.process, message: e.message, at: new Date(e.at).toISOString() })),
  };
}

/** `GET /api/packages`: the SDK's version and every package, by name, then version highest first. */
export async function listPackages(db: Kysely<Database>, registry: NodeRegistry, workspaceId: string) {
  const rows = await listPackageRows(db);
  const installed = await Promise.all(rows.map((row) => installedEntry(db, registry, workspaceId, row)));
  const packages: PackageEntry[] = [...registry.packages, ...installed].sort(
    (a, b) =>
      a.name.localeCompare(b.name) ||
      (semver.valid(a.version) && semver.valid(b.version) ? semver.rcompare(a.version, b.version) : 0),
  );
  return { sdk: SDK_VERSION, packages };
}
