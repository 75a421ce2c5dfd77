import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { type HostPlace, PackageHosts, type PackageReach } from './isolation/package-hosts.js';
import { entryOf, isNpmName, type Manifest } from './manifest.js';
import { unpackTarball } from './tarball.js';
import { UnpackBudget, type UnpackLimits } from './unpack-budget.js';

/** The SDK's source, bundled for installed packages (which run on plain Node, without TypeScript). */
const SDK_DIR = fileURLToPath(new URL('../sdk/', import.meta.url));

/** The running SDK's version: what an installed package's `@waymark/sdk` peer range must include. */
export const SDK_VERSION: string = (
  JSON.parse(readFileSync(path.join(SDK_DIR, 'package.json'), 'utf8')) as { version: string }
).version;

/** A package version laid out on disk, ready to import. */
export interface Materialized {
  manifest: Manifest;
  /** The file URL of its entry. */
  entryUrl: string;
  /** The file URL of the SDK it imports. */
  sdkUrl: string;
  /**
   * The file URL of its own folder (ending in `/`): the package and the dependencies installed
   * beside it, all its code may load besides the SDK and Node's built-ins.
   */
  folderUrl: string;
  readme: string | null;
  /** The processes its threads run in, one a version. */
  hosts: PackageHosts;
  /** Its version's process, which may read its folder and the SDK's and nothing else. */
  place: HostPlace;
}

/**
 * This process's copy of the installed packages on disk, under a folder of its own in the
 * temporary directory: `node_modules/@waymark/sdk` (the running SDK bundled to JavaScript, as
 * ES module and CommonJS) and, per version, `v/<id>/node_modules/<name>` with its resolved
 * dependencies beside it. Node's resolution from a package reaches its dependencies and the
 * SDK, and nothing of Waymark's own node_modules. Removed on `close()`.
 */
export class PackageFiles {
  readonly root = path.join(os.tmpdir(), `waymark-packages-${process.pid}-${randomUUID().slice(0, 8)}`);
  /** Where the packages laid out here run (package-hosts.ts). */
  readonly hosts: PackageHosts;
  #sdk: Promise<string> | null = null;

  constructor(
    reach: PackageReach,
    /** What one version may unpack to, its dependencies included. */
    private readonly limits: UnpackLimits,
  ) {
    this.hosts = new PackageHosts(reach);
  }

  /** The file URL of the bundled SDK's ES module, built on first use. */
  sdkUrl(): Promise<string> {
    this.#sdk ??= this.#bundleSdk();
    return this.#sdk;
  }

  async #bundleSdk(): Promise<string> {
    await sweepStale();
    const dir = path.join(this.root, 'node_modules', '@waymark', 'sdk');
    const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'silent' } as const;
    await build({
      ...common,
      entryPoints: [path.join(SDK_DIR, 'src/index.ts')],
      format: 'esm',
      // The SDK's CommonJS dependencies (liquidjs, ajv) call require() inside the ES module bundle.
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      outfile: path.join(dir, 'index.mjs'),
    });
    await build({
      ...common,
      entryPoints: [path.join(SDK_DIR, 'src/index.ts')],
      format: 'cjs',
      outfile: path.join(dir, 'index.cjs'),
    });
    const manifest = {
      name: '@waymark/sdk',
      version: SDK_VERSION,
      exports: { import: './index.mjs', require: './index.cjs' },
      main: './index.cjs',
    };
    await writeFile(path.join(dir, 'package.json'), JSON.stringify(manifest));
    return pathToFileURL(path.join(dir, 'index.mjs')).href;
  }

  /** Unpacks a tarball into a fresh folder for checking; returns the folder and its package.json. */
  async stage(tarball: Buffer, budget = new UnpackBudget(this.limits)): Promise<{ dir: string; manifest: unknown }> {
    const dir = path.join(this.root, 'staging', randomUUID());
    try {
      await unpackTarball(tarball, dir, budget);
    } catch (error) {
      await removeFolder(dir);
      throw error;
    }
    const text = await readFile(path.join(dir, 'package.json'), 'utf8').catch(() => null);
    let manifest: unknown = null;
    try {
      manifest = text === null ? null : JSON.parse(text);
    } catch {
      manifest = null;
    }
    return { dir, manifest };
  }

  /**
   * Lays out a package version and its dependencies under a folder of its own (a new one each
   * time: a module once imported stays in memory, so a reinstall must have another URL), within
   * one `UnpackBudget` for them all. A failure leaves no folder behind; `release` removes one.
   */
  async materialize(
    tarball: Buffer,
    dependencies: readonly { name: string; tarball: Buffer }[],
  ): Promise<Materialized> {
    const base = path.join(this.root, 'v', randomUUID());
    try {
      return await this.#layOut(base, tarball, dependencies);
    } catch (error) {
      await removeFolder(base);
      throw error;
    }
  }

  async #layOut(
    base: string,
    tarball: Buffer,
    dependencies: readonly { name: string; tarball: Buffer }[],
  ): Promise<Materialized> {
    const modules = path.join(base, 'node_modules');
    const budget = new UnpackBudget(this.limits);
    const staged = await this.stage(tarball, budget);
    const manifest = staged.manifest as Manifest;
    const dir = moduleFolder(modules, manifest?.name);
    await mkdir(path.dirname(dir), { recursive: true });
    await rename(staged.dir, dir);
    for (const dependency of dependencies)
      await unpackTarball(dependency.tarball, moduleFolder(modules, dependency.name), budget);
    const entry = path.resolve(dir, entryOf(manifest) ?? 'index.js');
    if (!entry.startsWith(`${dir}${path.sep}`)) throw new Error('the entry points outside the package');
    const readme = await readFile(path.join(dir, 'README.md'), 'utf8').catch(() => null);
    const folderUrl = pathToFileURL(`${base}${path.sep}`).href;
    const sdkUrl = await this.sdkUrl();
    const folders = [base, path.dirname(fileURLToPath(sdkUrl))];
    // Node's permission model and its module resolution see real paths (a temporary folder may be a link).
    const roots = [...new Set([...folders, ...(await Promise.all(folders.map((f) => realpath(f))))])];
    const place = { key: base, roots: roots.map((r) => `${r}${path.sep}`) };
    return { manifest, entryUrl: pathToFileURL(entry).href, sdkUrl, folderUrl, readme, hosts: this.hosts, place };
  }

  /** Forgets a staged folder. */
  async discard(dir: string): Promise<void> {
    await removeFolder(dir);
  }

  /**
   * Ends a laid-out version's process and removes its folder: a version refused, installed
   * twice or removed would otherwise keep its files on disk until the process stops.
   */
  async release(laidOut: Materialized): Promise<void> {
    laidOut.hosts.end(laidOut.place.key);
    await removeFolder(laidOut.place.key);
  }

  /**
   * Removes the folder. An install still unpacking into it when the process closes can make
   * the removal find a folder refilled under it (ENOTEMPTY): tried again a few times, then left
   * for the next start's sweep of dead processes' folders — a temporary folder is not worth a
   * failed shutdown.
   */
  async close(): Promise<void> {
    await this.hosts.close();
    await rm(this.root, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }).catch(() => {});
  }
}

/**
 * Where the package `name` goes under `modules`. Install refuses a name npm would not publish;
 * a version stored before that rule reaches here from the database at every start, so the
 * name is checked again, and the path too.
 */
function moduleFolder(modules: string, name: unknown): string {
  if (!isNpmName(name)) throw new Error(`"${String(name)}" is not an npm package name`);
  const dir = path.join(modules, ...name.split('/'));
  if (!dir.startsWith(`${modules}${path.sep}`)) throw new Error(`"${name}" names a folder outside node_modules`);
  return dir;
}

/** Removes a folder; an unpacking stopped midway may still be closing a file in it, hence the retries. */
const removeFolder = (dir: string) => rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });

/** Removes the folders of processes that are gone (a killed process never ran its `close()`). */
async function sweepStale(): Promise<void> {
  for (const entry of await readdir(os.tmpdir()).catch(() => [] as string[])) {
    const pid = Number(/^waymark-packages-(\d+)-/.exec(entry)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    await rm(path.join(os.tmpdir(), entry), { recursive: true, force: true }).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
