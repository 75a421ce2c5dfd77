import path from 'node:path';
import type { ErrorDetail } from '@waymark/sdk';
import semver from 'semver';

/** The keyword that marks an npm package as a Waymark node package (SDK.md). */
export const PACKAGE_KEYWORD = 'waymark-node-package';

/** The fields of package.json that installing reads. */
export interface Manifest {
  name: string;
  version: string;
  description?: string;
  keywords?: string[];
  main?: string;
  exports?: unknown;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export const pointer = (...parts: string[]) =>
  `/${parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;

/** The file `import` reaches: `exports["."]` (its `import`/`default`), else `main`, else index.js. */
export function entryOf(manifest: Manifest): string | null {
  const dot =
    typeof manifest.exports === 'string'
      ? manifest.exports
      : (manifest.exports as Record<string, unknown> | undefined)?.['.'];
  const pick = (value: unknown): string | null => {
    if (typeof value === 'string') return value;
    if (!value || typeof value !== 'object') return null;
    const conditions = value as Record<string, unknown>;
    return pick(conditions.import) ?? pick(conditions.node) ?? pick(conditions.default) ?? pick(conditions.require);
  };
  return (dot === undefined ? null : pick(dot)) ?? manifest.main ?? 'index.js';
}

/** What `/name` says of a name npm would not publish. */
export const NOT_AN_NPM_NAME = 'name is not an npm package name';

/** What `/dependencies/<name>` says of a dependency whose name npm would not publish. */
export const notAnNpmDependency = (name: string) => `the dependency "${name}" is not an npm package name`;

/**
 * Whether `name` is a name npm publishes under (lower case, at most 214 characters, an
 * optional scope): a package.json's, or one asked of the registry.
 *
 * @example
 * isNpmName('@acme/waymark-nodes') // → true
 * isNpmName('../etc') // → false
 */
export function isNpmName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= 214 && /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/.test(name);
}

/** What `/name` says of a name under the scope of Waymark's own packages. */
export const RESERVED_SCOPE =
  "the @waymark/ scope is Waymark's own (its built-in packages and SDK): publish under another name";

/**
 * Whether `name` is under `@waymark/`, the scope of the built-in packages and the SDK: an
 * installed one would stand in for them (their name, version and prefix) and could not be
 * removed, as a built-in cannot.
 */
export const isReservedName = (name: string) => name.startsWith('@waymark/');

/**
 * Every way a package.json breaks SDK.md's rules for an installable package, each with a
 * JSON pointer into it; empty when it may be installed next to SDK `sdkVersion`.
 *
 * @example
 * manifestProblems({ name: 'x', version: '1.0.0' }, '0.1.0') // → [{ path: '/keywords', … }, …]
 */
export function manifestProblems(raw: unknown, sdkVersion: string): ErrorDetail[] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    return [{ path: '', message: 'package.json is not a JSON object' }];
  const m = raw as Record<string, unknown>;
  const problems: ErrorDetail[] = [];
  if (!isNpmName(m.name)) problems.push({ path: '/name', message: NOT_AN_NPM_NAME });
  else if (isReservedName(m.name)) problems.push({ path: '/name', message: RESERVED_SCOPE });
  problems.push(...versionProblems(m.version));
  if (!Array.isArray(m.keywords) || !m.keywords.includes(PACKAGE_KEYWORD))
    problems.push({ path: '/keywords', message: `keywords must include "${PACKAGE_KEYWORD}"` });
  const peers = m.peerDependencies as Record<string, unknown> | undefined;
  const range = peers && typeof peers === 'object' ? peers['@waymark/sdk'] : undefined;
  const at = pointer('peerDependencies', '@waymark/sdk');
  if (typeof range !== 'string') problems.push({ path: at, message: 'peerDependencies must name @waymark/sdk' });
  else if (!semver.validRange(range)) problems.push({ path: at, message: `${range} is not a semver range` });
  else if (!semver.satisfies(sdkVersion, range, { includePrerelease: true }))
    problems.push({ path: at, message: `${range} does not include ${sdkVersion}` });
  problems.push(...entryProblems(m));
  const deps = m.dependencies;
  if (deps !== undefined && (typeof deps !== 'object' || deps === null || Array.isArray(deps)))
    problems.push({ path: '/dependencies', message: 'dependencies must be an object' });
  else
    for (const [name, spec] of Object.entries((deps ?? {}) as Record<string, unknown>)) {
      // A dependency is laid out at node_modules/<name>: a name that is a path would go anywhere.
      if (!isNpmName(name)) problems.push({ path: pointer('dependencies', name), message: notAnNpmDependency(name) });
      else if (typeof spec !== 'string' || !semver.validRange(spec))
        problems.push({
          path: pointer('dependencies', name),
          message: `${name}: only semver ranges from the registry can be installed`,
        });
    }
  return problems;
}

/**
 * A version must be written as semver writes it: `v1.5.0` and `1.5.0+build` are 1.5.0 to every
 * range and comparison, so stored beside it they would be two versions that are one, and which
 * of them a publish pinned would hang on the order a process loaded them in.
 */
function versionProblems(version: unknown): ErrorDetail[] {
  const plain = typeof version === 'string' ? semver.valid(version) : null;
  if (typeof version !== 'string' || !plain) return [{ path: '/version', message: 'version is not a semver version' }];
  const build = semver.parse(version)?.build ?? [];
  if (build.length)
    return [
      {
        path: '/version',
        message: `build metadata (+${build.join('.')}) does not make another version: write ${plain}`,
      },
    ];
  return version === plain ? [] : [{ path: '/version', message: `write the version as ${plain}, not ${version}` }];
}

/** Whether a path from package.json, taken from the package's folder, stays inside it. */
const inside = (target: string) => {
  const root = '/package';
  return path.posix.resolve(root, target.replaceAll('\\', '/')).startsWith(`${root}/`);
};

/**
 * `main` and every target of `exports` must name a file inside the package: what they name is
 * imported into the process, and the package's code is only what its tarball holds.
 */
function entryProblems(m: Record<string, unknown>): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const check = (value: unknown, at: string[]) => {
    const field = at[0];
    if (typeof value === 'string') {
      if (!inside(value))
        problems.push({ path: pointer(...at), message: `${field} names "${value}", not a file inside the package` });
    } else if (value && typeof value === 'object') {
      // Conditions and fallback arrays alike: each target they hold.
      for (const [k, v] of Object.entries(value)) check(v, [...at, k]);
    } else if (value !== null) {
      // null is Node's way of hiding a subpath: it reaches nothing.
      problems.push({ path: pointer(...at), message: `${field} must be a path in the package` });
    }
  };
  if (typeof m.main === 'string') check(m.main, ['main']);
  else if (m.main !== undefined) problems.push({ path: '/main', message: 'main must be a path in the package' });
  if (m.exports !== undefined) check(m.exports, ['exports']);
  return problems;
}
