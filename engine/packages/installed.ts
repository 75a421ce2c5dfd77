import type { PackageDefinition } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { NodeRegistry } from '../registry/registry.js';
import type { NotificationListener } from '../runs/listener.js';
import { importPackage, threaded } from './definitions.js';
import type { Materialized, PackageFiles } from './files.js';
import {
  forgetLoadErrors,
  listPackageRows,
  PACKAGES_CHANNEL,
  packageBytes,
  recordLoadError,
  renewLoadErrors,
} from './store.js';

const keyOf = (name: string, version: string) => `${name}@${version}`;

/**
 * The installed package versions of this process: loaded from PostgreSQL at start, then kept
 * in step with every other process through `waymark_packages` notices, so an install or a
 * removal reaches all of them without a restart. A version that fails to load is recorded
 * (`node_package_load_errors`, and its entry's `error`), never fatal; the record lasts while
 * this process runs: renewed with each resync, removed by `close()`.
 *
 * @example
 * const installed = new InstalledPackages({ db, registry, files, logger, process: 'host:123', stepTimeoutMs: 30_000 });
 * await installed.loadAll();
 * installed.listen(listener);
 */
export class InstalledPackages {
  readonly #loaded = new Map<string, Materialized | null>();
  readonly #loading = new Map<string, Promise<void>>();
  /**
   * Installs under way in this process (`installing`), settled once they end: the install's own
   * notice may arrive before the install adopts the version, and must not load a second copy.
   */
  readonly #installing = new Map<string, Promise<void>>();
  /** Bumped by every unload, so a load that was under way when its version was removed is dropped. */
  readonly #removals = new Map<string, number>();
  #off: (() => void) | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: {
      db: Kysely<Database>;
      registry: NodeRegistry;
      files: PackageFiles;
      logger: Logger;
      /** `<host>:<pid>`, as load errors name the process. */
      process: string;
      stepTimeoutMs: number;
    },
  ) {}

  get files(): PackageFiles {
    return this.options.files;
  }

  /** Loads every installed version (before the process takes jobs or answers `/healthz`). */
  async loadAll(): Promise<void> {
    const rows = await listPackageRows(this.options.db);
    await Promise.all(rows.map((row) => this.load(row.name, row.version)));
  }

  /**
   * Follows installs and removals made by any process: at once through notices, and every
   * `resyncMs` from the table too, since a notice sent while the LISTEN connection was down
   * is lost. Each resync also renews this process's load reports, which lapse without it.
   */
  listen(listener: NotificationListener, resyncMs = 5_000): void {
    this.#off?.();
    if (this.#timer) clearInterval(this.#timer);
    const { db, logger, registry, process: id } = this.options;
    this.#timer = setInterval(() => {
      this.sync().catch((error) => logger.warn({ err: error }, 'installed packages resync failed'));
      const failures = registry
        .installedPackages()
        .flatMap(({ name, version, error }) => (error ? [{ name, version, message: error }] : []));
      renewLoadErrors(db, id, failures).catch((error) => logger.warn({ err: error }, 'renewing load reports failed'));
    }, resyncMs);
    this.#timer.unref();
    this.#off = listener.on(PACKAGES_CHANNEL, (payload) => {
      const notice = payload as { name?: unknown; version?: unknown; change?: unknown } | null;
      if (typeof notice?.name !== 'string' || typeof notice.version !== 'string') return;
      if (notice.change === 'removed') this.unload(notice.name, notice.version);
      else void this.load(notice.name, notice.version);
    });
  }

  /** Loads the stored versions this process lacks and forgets those no longer stored. */
  async sync(): Promise<void> {
    // Only what was loaded before the table was read may be missing from it: a version this
    // process installs meanwhile is adopted after its row commits, which the read may not see.
    const known = this.options.registry.installedPackages();
    const rows = await listPackageRows(this.options.db);
    const stored = new Set(rows.map((r) => keyOf(r.name, r.version)));
    for (const { name, version } of known)
      if (!stored.has(keyOf(name, version)) && !this.#loading.has(keyOf(name, version))) this.unload(name, version);
    await Promise.all(rows.map((row) => this.load(row.name, row.version)));
  }

  /**
   * Loads the stored versions among a journey version's pins that this process lacks: one
   * another process installed is heard of within the resync, and a step may come sooner.
   */
  loadPins(pins: Readonly<Record<string, string>>): Promise<void> {
    return Promise.all(Object.entries(pins).map(([name, version]) => this.load(name, version))).then(() => {});
  }

  /** Loads one stored version unless loaded already; a failure is recorded, not thrown. */
  load(name: string, version: string): Promise<void> {
    const key = keyOf(name, version);
    if (this.#loaded.has(key)) return Promise.resolve();
    const installing = this.#installing.get(key);
    if (installing) return installing.then(() => this.load(name, version));
    let loading = this.#loading.get(key);
    if (!loading) {
      const started = this.#load(name, version, this.#removals.get(key) ?? 0);
      loading = started.finally(() => {
        if (this.#loading.get(key) === loading) this.#loading.delete(key);
      });
      this.#loading.set(key, loading);
    }
    return loading;
  }

  async #load(name: string, version: string, removals: number): Promise<void> {
    const { db, logger } = this.options;
    const key = keyOf(name, version);
    const bytes = await packageBytes(db, name, version);
    if (!bytes) return; // removed meanwhile
    let files: Materialized | null = null;
    let pkg: PackageDefinition | null = null;
    let problem: string | null = null;
    try {
      files = await this.options.files.materialize(bytes.tarball, bytes.dependencies);
      pkg = await importPackage(files);
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    if ((this.#removals.get(key) ?? 0) !== removals) {
      if (files) this.#release(files); // removed while it was being laid out
      return;
    }
    const info = this.adopt(name, version, files, pkg, problem);
    if (info.error) logger.error({ package: name, version, err: info.error }, 'installed node package failed to load');
    await recordLoadError(db, name, version, this.options.process, info.error ?? null);
  }

  /**
   * Runs an install of `name@version` in this process (install.ts), which adopts the version
   * itself: meanwhile a `load` of it, as its notice makes, waits for the install rather than
   * laying out and importing a second copy, then loads it only if the install did not.
   *
   * @example
   * const outcome = await installed.installing(name, version, () => loadAndStore(...));
   */
  installing<T>(name: string, version: string, install: () => Promise<T>): Promise<T> {
    const key = keyOf(name, version);
    const done = install();
    const settled: Promise<void> = done.then(
      () => this.#installEnded(key, settled),
      () => this.#installEnded(key, settled),
    );
    this.#installing.set(key, settled);
    return done;
  }

  #installEnded(key: string, settled: Promise<void>): void {
    if (this.#installing.get(key) === settled) this.#installing.delete(key);
  }

  /** Puts a version that was laid out and imported (or failed to) into the registry. */
  adopt(
    name: string,
    version: string,
    files: Materialized | null,
    pkg: PackageDefinition | null,
    problem: string | null,
  ) {
    this.#loaded.set(keyOf(name, version), files);
    const usable = pkg && files ? threaded(pkg, files, this.options.stepTimeoutMs) : null;
    if (pkg && pkg.version !== version)
      problem ??= `the default export's version ${String(pkg.version)} is not package.json's ${version}`;
    return this.options.registry.addInstalled(name, version, usable, problem);
  }

  /** Forgets a removed version in this process, ends the process its code ran in and removes its files. */
  unload(name: string, version: string): void {
    const key = keyOf(name, version);
    this.#removals.set(key, (this.#removals.get(key) ?? 0) + 1);
    const files = this.#loaded.get(key);
    if (files) this.#release(files);
    this.#loading.delete(key);
    this.#loaded.delete(key);
    this.options.registry.removeInstalled(name, version);
  }

  #release(files: Materialized): void {
    this.options.files
      .release(files)
      .catch((error) => this.options.logger.warn({ err: error }, 'removing a package folder failed'));
  }

  /** A loaded version's README.md, or null. */
  readme(name: string, version: string): string | null {
    return this.#loaded.get(keyOf(name, version))?.readme ?? null;
  }

  /** Stops following, withdraws this process's load reports and removes its files. */
  async close(): Promise<void> {
    this.#off?.();
    if (this.#timer) clearInterval(this.#timer);
    await forgetLoadErrors(this.options.db, this.options.process).catch((error) =>
      this.options.logger.warn({ err: error }, 'withdrawing load reports failed'),
    );
    await this.options.files.close();
  }
}
