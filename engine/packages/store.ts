import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { WithinChange } from '../db/transaction.js';
import { packageOfAnotherWorkspace, prefixOfAnotherWorkspace } from './errors.js';

/** The channel on which processes learn that a package version was installed or removed. */
export const PACKAGES_CHANNEL = 'waymark_packages';

/** An installed version as stored, without its bytes. */
export interface PackageRow {
  name: string;
  version: string;
  integrity: string;
  manifest: Record<string, unknown>;
  dependencies: Record<string, string>;
  installedAt: Date;
}

/** A journey version holding a package version in use. */
export interface PackageUser {
  journeyId: string;
  journeyName: string;
  version: number;
  workspaceId: string;
}

const columns = ['name', 'version', 'integrity', 'manifest', 'dependencies', 'installed_at'] as const;
const toRow = (r: {
  name: string;
  version: string;
  integrity: string;
  manifest: Record<string, unknown>;
  dependencies: Record<string, string>;
  installed_at: Date;
}): PackageRow => ({ ...r, installedAt: r.installed_at });

/** Every installed version (packages are the installation's, not a workspace's). */
export async function listPackageRows(db: Kysely<Database>): Promise<PackageRow[]> {
  return (await db.selectFrom('node_packages').select(columns).execute()).map(toRow);
}

export async function getPackageRow(db: Kysely<Database>, name: string, version: string): Promise<PackageRow | null> {
  const row = await db
    .selectFrom('node_packages')
    .select(columns)
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
  return row ? toRow(row) : null;
}

/** The versions of `name` stored, as written. */
export async function packageVersions(db: Kysely<Database>, name: string): Promise<string[]> {
  const rows = await db.selectFrom('node_packages').select('version').where('name', '=', name).execute();
  return rows.map((r) => r.version);
}

/** A version's tarball and its dependencies' tarballs, for laying it out on disk. */
export async function packageBytes(
  db: Kysely<Database>,
  name: string,
  version: string,
): Promise<{ tarball: Buffer; dependencies: { name: string; version: string; tarball: Buffer }[] } | null> {
  const row = await db
    .selectFrom('node_packages')
    .select('tarball')
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!row) return null;
  const dependencies = await db
    .selectFrom('node_package_dependencies')
    .select(['name', 'version', 'tarball'])
    .where('package_name', '=', name)
    .where('package_version', '=', version)
    .orderBy('name')
    .execute();
  return { tarball: row.tarball, dependencies };
}

/**
 * Throws 409 unless the package's name is unclaimed or belongs to the workspace: a package
 * is code every workspace may run, so only the workspace that first installed its name changes
 * its versions.
 */
export async function assertPackageOwner(db: Kysely<Database>, name: string, workspaceId: string): Promise<void> {
  const owner = await db
    .selectFrom('node_package_owners')
    .select('workspace_id')
    .where('name', '=', name)
    .executeTakeFirst();
  if (owner && owner.workspace_id !== workspaceId) throw packageOfAnotherWorkspace(name);
}

/**
 * Stores a version with its dependencies and tells every process (on commit). False when
 * the same name and version is stored already (nothing written). `onInserted` runs in the
 * same transaction once it is stored.
 */
export async function insertPackage(
  db: Kysely<Database>,
  row: { name: string; version: string; integrity: string; tarball: Buffer; manifest: object },
  dependencies: readonly { name: string; version: string; tarball: Buffer }[],
  owner: { workspaceId: string; prefix: string },
  onInserted?: WithinChange,
): Promise<boolean> {
  const { workspaceId, prefix } = owner;
  return db.transaction().execute(async (trx) => {
    // The first install of a name claims it; a racing claim from elsewhere waits on the key and loses.
    await trx
      .insertInto('node_package_owners')
      .values({ name: row.name, workspace_id: workspaceId, prefix })
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({ prefix: sql`coalesce(node_package_owners.prefix, excluded.prefix)` }),
      )
      .execute();
    await assertPackageOwner(trx, row.name, workspaceId);
    // Graphs name types, not packages: a prefix another workspace's name holds stays its own.
    const holder = await trx
      .selectFrom('node_package_owners')
      .select('name')
      .where('prefix', '=', prefix)
      .where('workspace_id', '!=', workspaceId)
      .executeTakeFirst();
    if (holder) throw prefixOfAnotherWorkspace(prefix);
    const inserted = await trx
      .insertInto('node_packages')
      .values({
        ...row,
        manifest: JSON.stringify(row.manifest),
        dependencies: JSON.stringify(Object.fromEntries(dependencies.map((d) => [d.name, d.version]))),
      })
      .onConflict((oc) => oc.doNothing())
      .returning('name')
      .executeTakeFirst();
    if (!inserted) return false;
    if (dependencies.length)
      await trx
        .insertInto('node_package_dependencies')
        .values(dependencies.map((d) => ({ package_name: row.name, package_version: row.version, ...d })))
        .execute();
    await notifyPackages(trx, { name: row.name, version: row.version, change: 'installed' });
    await onInserted?.(trx);
    return true;
  });
}

async function notifyPackages(db: Kysely<Database>, notice: { name: string; version: string; change: string }) {
  await sql`select pg_notify(${PACKAGES_CHANNEL}, ${JSON.stringify(notice)})`.execute(db);
}

/**
 * The journey versions holding a package version in use: the published version of every
 * journey not archived, and every version with a run running or waiting.
 */
export async function packageUsers(db: Kysely<Database>, name: string, version: string): Promise<PackageUser[]> {
  const { rows } = await sql<PackageUser>`
    select jv.journey_id as "journeyId", j.name as "journeyName", jv.version, j.workspace_id as "workspaceId"
    from journey_versions jv join journeys j on j.id = jv.journey_id
    where jv.packages ->> ${name} = ${version}
      and ((j.published_version = jv.version and j.archived_at is null)
        or exists (select 1 from runs r where r.journey_id = jv.journey_id and r.version = jv.version
          and r.status in ('running', 'waiting')))
    order by j.name, jv.version`.execute(db);
  return rows;
}

/**
 * Removes a version unless journey versions use it; returns those users (nothing removed)
 * or null when it is not installed, and throws 409 when its name is another workspace's. The
 * row lock makes a concurrent publish that pins it (`lockPinned`) wait, so the two never both
 * succeed. `onDeleted` runs in the same transaction once it is removed.
 */
export async function deletePackage(
  db: Kysely<Database>,
  name: string,
  version: string,
  workspaceId: string,
  onDeleted?: WithinChange,
): Promise<{ users: PackageUser[] } | null> {
  return db.transaction().execute(async (trx) => {
    const locked = await trx
      .selectFrom('node_packages')
      .select('name')
      .where('name', '=', name)
      .where('version', '=', version)
      .forUpdate()
      .executeTakeFirst();
    if (!locked) return null;
    await assertPackageOwner(trx, name, workspaceId);
    const users = await packageUsers(trx, name, version);
    if (users.length) return { users };
    await trx.deleteFrom('node_packages').where('name', '=', name).where('version', '=', version).execute();
    await notifyPackages(trx, { name, version, change: 'removed' });
    await onDeleted?.(trx);
    return { users: [] };
  });
}

/** Share-locks the pinned versions inside a publish; returns the pins that are no longer installed. */
export async function lockPinned(db: Kysely<Database>, pins: Readonly<Record<string, string>>): Promise<string[]> {
  const missing: string[] = [];
  for (const [name, version] of Object.entries(pins)) {
    const row = await db
      .selectFrom('node_packages')
      .select('name')
      .where('name', '=', name)
      .where('version', '=', version)
      .forShare()
      .executeTakeFirst();
    if (!row) missing.push(`${name}@${version}`);
  }
  return missing;
}

/**
 * How long a load report outlives its last renewal: its process renews it every resync (5 s),
 * so one not renewed for 30 s is of a process that died without removing its reports.
 */
const REPORT_LAPSE_SECONDS = 30;
const lapsed = sql<boolean>`seen_at < now() - make_interval(secs => ${REPORT_LAPSE_SECONDS})`;

/** Records (or clears, with null) why this process could not load a version. */
export async function recordLoadError(
  db: Kysely<Database>,
  name: string,
  version: string,
  process: string,
  message: string | null,
): Promise<void> {
  if (message === null) {
    await db
      .deleteFrom('node_package_load_errors')
      .where('name', '=', name)
      .where('version', '=', version)
      .where('process', '=', process)
      .execute();
    return;
  }
  await db
    .insertInto('node_package_load_errors')
    .values({ name, version, process, message })
    .onConflict((oc) =>
      oc.columns(['name', 'version', 'process']).doUpdateSet({ message, at: sql`now()`, seen_at: sql`now()` }),
    )
    .execute()
    .catch(() => {}); // removed meanwhile: nothing to report on
}

/**
 * Renews this process's load reports (inserting again any a sweep took while it could not
 * renew them), and removes those whose process stopped renewing them.
 */
export async function renewLoadErrors(
  db: Kysely<Database>,
  process: string,
  failures: readonly { name: string; version: string; message: string }[],
): Promise<void> {
  if (failures.length)
    await sql`
      insert into node_package_load_errors (name, version, process, message)
      select f.name, f.version, ${process}, f.message
      from unnest(${failures.map((f) => f.name)}::text[], ${failures.map((f) => f.version)}::text[],
        ${failures.map((f) => f.message)}::text[]) as f (name, version, message)
      join node_packages p on p.name = f.name and p.version = f.version
      on conflict (name, version, process) do update set seen_at = now()
    `.execute(db);
  await db.deleteFrom('node_package_load_errors').where(lapsed).execute();
}

/** Removes this process's load reports: it is stopping. */
export async function forgetLoadErrors(db: Kysely<Database>, process: string): Promise<void> {
  await db.deleteFrom('node_package_load_errors').where('process', '=', process).execute();
}

/** The load reports of the processes still running (those still renewing them). */
export async function loadErrorsOf(db: Kysely<Database>, name: string, version: string) {
  return db
    .selectFrom('node_package_load_errors')
    .select(['process', 'message', 'at'])
    .where('name', '=', name)
    .where('version', '=', version)
    .where(sql<boolean>`not ${lapsed}`)
    .orderBy('at')
    .execute();
}
