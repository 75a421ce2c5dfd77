import { ConflictError, type ErrorDetail, ValidationError, WaymarkError } from '@waymark/sdk';
import semver from 'semver';
import type { WithinChange } from '../db/transaction.js';
import { packagePrefix } from '../registry/definition-problems.js';
import type { Runtime } from '../runtime.js';
import { importPackage } from './definitions.js';
import { invalidPackage } from './errors.js';
import { type Materialized, SDK_VERSION } from './files.js';
import {
  isNpmName,
  isReservedName,
  type Manifest,
  manifestProblems,
  NOT_AN_NPM_NAME,
  RESERVED_SCOPE,
} from './manifest.js';
import { downloadTarball, type RegistryConfig, resolveVersion } from './npm-registry.js';
import { resolveDependencies } from './resolve.js';
import { assertPackageOwner, getPackageRow, insertPackage, packageVersions } from './store.js';
import { integrityOf } from './tarball-digest.js';

/** Whether two stored versions are one to semver (`v1.5.0`, `1.5.0+b` and `1.5.0`). */
const semverEqual = (a: string, b: string) => semver.valid(a) !== null && semver.valid(b) !== null && semver.eq(a, b);

/** What to install: a name (and a version, range or dist-tag) from the registry, or a tarball. */
export type InstallSource = { name: string; version?: string } | { tarball: Buffer };

/** The registry that `WAYMARK_NPM_REGISTRY` and `WAYMARK_NPM_TOKEN` configure. */
export const registryOf = (runtime: Runtime): RegistryConfig => ({
  url: runtime.config.npmRegistry,
  token: runtime.config.npmToken,
});

/**
 * Installs a package version (contract packages.md): checks it against SDK.md's rules,
 * resolves its dependencies from the registry, loads it in this process, stores it with its
 * dependencies and tells every other process. `created` is false when the same bytes were
 * installed before. Throws 422 `invalid_package` (nothing stored), 409 `conflict` (same
 * version, other bytes), 404 and 502 from the registry.
 *
 * @example
 * const { name, version } = await installPackage(runtime, { name: '@acme/waymark-nodes', version: '^1' });
 */
export async function installPackage(
  runtime: Runtime,
  source: InstallSource,
  /** The installing workspace: a name another workspace installed first is refused (409). */
  workspaceId: string,
  /** Runs in the transaction that stores the version; not when the same bytes were stored before. */
  onInstalled?: WithinChange<{ name: string; version: string }>,
): Promise<{ name: string; version: string; created: boolean }> {
  const registry = registryOf(runtime);
  const { files } = runtime.packages;
  let tarball: Buffer;
  let expected: { name: string; version: string } | null = null;
  if ('tarball' in source) {
    // Zero bytes is a request that sent nothing, not a broken tarball: say so.
    if (source.tarball.length === 0)
      throw invalidPackage([{ path: '', message: 'the upload is empty: send the bytes of an npm pack tarball' }]);
    tarball = source.tarball;
  } else {
    // Not asked of the registry: it answers such a name 400 or 403, read as its failure (502).
    if (!isNpmName(source.name))
      throw new ValidationError(`${JSON.stringify(source.name)} is not an npm package name`, [
        { path: '/name', message: NOT_AN_NPM_NAME },
      ]);
    if (isReservedName(source.name)) throw invalidPackage([{ path: '/name', message: RESERVED_SCOPE }]);
    const found = await resolveVersion(registry, source.name, source.version);
    tarball = await downloadTarball(registry, found);
    expected = { name: source.name, version: found.version };
  }
  const staged = await files.stage(tarball).catch((error: Error) => {
    if (error instanceof WaymarkError) throw error; // an unpack limit, named
    throw invalidPackage([{ path: '', message: `the tarball does not unpack: ${error.message}` }]);
  });
  await files.discard(staged.dir);
  if (staged.manifest === null)
    throw invalidPackage([{ path: '', message: 'the tarball has no package/package.json' }]);
  const problems = manifestProblems(staged.manifest, SDK_VERSION);
  const manifest = staged.manifest as Manifest;
  if (expected && manifest.name !== expected.name)
    problems.push({
      path: '/name',
      message: `the registry's ${expected.name} holds a package.json named ${manifest.name}`,
    });
  if (expected && manifest.version !== expected.version)
    problems.push({
      path: '/version',
      message: `the registry's ${expected.version} holds version ${manifest.version}`,
    });
  if (problems.length) throw invalidPackage(problems);
  const { name, version } = manifest;
  await assertPackageOwner(runtime.db, name, workspaceId);
  const integrity = integrityOf(tarball);
  const same = async () => {
    const existing = await getPackageRow(runtime.db, name, version);
    if (existing && existing.integrity !== integrity)
      throw new ConflictError(`${name}@${version} is installed with other contents; publish a new version`);
    // A version stored before install took only semver's own spelling (v1.5.0 for 1.5.0).
    const spelled = existing
      ? undefined
      : (await packageVersions(runtime.db, name)).find((v) => semverEqual(v, version));
    if (spelled)
      throw new ConflictError(
        `${name}@${version} is installed as ${spelled} with other contents; publish a new version`,
      );
    return existing !== null;
  };
  if (await same()) return { name, version, created: false };
  const dependencies = await resolveDependencies(registry, manifest.dependencies ?? {});
  const laidOut = await files.materialize(tarball, dependencies);
  const row = { name, version, integrity, tarball, manifest };
  // A refused or duplicate version keeps no process of its own (nor its definitions thread), nor files.
  const release = () =>
    files.release(laidOut).catch((error) => runtime.logger.warn({ err: error }, 'removing a package folder failed'));
  const outcome = await runtime.packages
    .installing(name, version, () => loadAndStore(runtime, laidOut, row, dependencies, same, workspaceId, onInstalled))
    .catch(async (error: unknown) => {
      await release();
      throw error;
    });
  if (!outcome.created) await release();
  return outcome;
}

/**
 * Loads a laid-out version in this process and stores it: 422 when its default export does
 * not match its package.json or clashes with loaded nodes; `created` false when another
 * request stored the same bytes meanwhile (`same` throws 409 for other bytes).
 */
async function loadAndStore(
  runtime: Runtime,
  laidOut: Materialized,
  row: { name: string; version: string; integrity: string; tarball: Buffer; manifest: Manifest },
  dependencies: Parameters<typeof insertPackage>[2],
  same: () => Promise<boolean>,
  workspaceId: string,
  onInstalled?: WithinChange<{ name: string; version: string }>,
): Promise<{ name: string; version: string; created: boolean }> {
  const { name, version } = row;
  const loaded = await importPackage(laidOut).catch((error: Error) => {
    throw invalidPackage(
      [{ path: '', message: `the package throws on import: ${error.message}` }],
      `${name}@${version}`,
    );
  });
  const loadProblems: ErrorDetail[] = [];
  if (loaded.name !== name)
    loadProblems.push({
      path: '/name',
      message: `the default export names ${String(loaded.name)}, package.json ${name}`,
    });
  else if (loaded.version !== version)
    loadProblems.push({
      path: '/version',
      message: `the default export's version ${String(loaded.version)} is not package.json's ${version}`,
    });
  else loadProblems.push(...runtime.registry.installedProblems(name, loaded));
  if (loadProblems.length) throw invalidPackage(loadProblems, `${name}@${version}`);
  const owner = { workspaceId, prefix: packagePrefix(loaded) };
  const stored = await insertPackage(
    runtime.db,
    row,
    dependencies,
    owner,
    onInstalled && ((trx) => onInstalled(trx, { name, version })),
  );
  if (!stored) {
    // Installed meanwhile by another request: the same bytes are fine, other bytes are not.
    await same();
    return { name, version, created: false };
  }
  runtime.packages.adopt(name, version, laidOut, loaded, null);
  return { name, version, created: true };
}
