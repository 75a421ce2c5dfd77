import { NotFoundError } from '@waymark/sdk';
import semver from 'semver';
import type { SearchHit } from './entry-types.js';
import { invalidPackage, registryUnavailable } from './errors.js';
import { digestProblem } from './tarball-digest.js';

/** Where packages come from: `WAYMARK_NPM_REGISTRY` (trailing slash) and its optional token. */
export interface RegistryConfig {
  url: string;
  token: string | null;
}

/** The part of a packument (the registry's document of a package) that installing reads. */
interface Packument {
  'dist-tags'?: Record<string, string>;
  versions?: Record<
    string,
    { dist?: { tarball?: string; integrity?: unknown; shasum?: unknown }; dependencies?: Record<string, string> }
  >;
}

const TIMEOUT_MS = 30_000;

/** Headers for `url`: the token only goes to the registry's own origin, never elsewhere. */
function headersFor(registry: RegistryConfig, url: string, accept: string): Record<string, string> {
  const headers: Record<string, string> = { accept };
  if (registry.token && new URL(url).origin === new URL(registry.url).origin)
    headers.authorization = `Bearer ${registry.token}`;
  return headers;
}

async function get(registry: RegistryConfig, url: string, accept: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: headersFor(registry, url, accept),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'follow',
    });
  } catch (error) {
    throw registryUnavailable(`the npm registry cannot be reached: ${(error as Error).message}`, error);
  }
  if (response.status === 401 || response.status === 403)
    throw registryUnavailable(`the npm registry refused the request (${response.status}): check WAYMARK_NPM_TOKEN`);
  if (response.status >= 500) throw registryUnavailable(`the npm registry answered ${response.status}`);
  return response;
}

/**
 * The JSON object a registry answered. Anything else (an HTML page at a mistyped
 * `WAYMARK_NPM_REGISTRY`, a proxy's error page answered 200, truncated JSON) is a registry
 * that cannot be used: 502, not a package it lacks (404) nor an empty search.
 */
async function documentOf(response: Response, what: string): Promise<Record<string, unknown>> {
  const doc: unknown = await response.json().catch(() => undefined);
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) return doc as Record<string, unknown>;
  throw registryUnavailable(
    `the npm registry answered ${what} that is not a JSON object: is WAYMARK_NPM_REGISTRY an npm registry?`,
  );
}

/** A package's name as one path segment (`@acme/x` → `@acme%2fx`), as npm clients send it. */
const encodeName = (name: string) =>
  name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);

/** A version the registry holds: where its tarball is and what it depends on. */
export interface ResolvedVersion {
  name: string;
  version: string;
  tarball: string;
  integrity: string | null;
  shasum: string | null;
  dependencies: Record<string, string>;
}

/**
 * The version `spec` (a version, a range or a dist-tag; default `latest`) names, with its
 * tarball URL and integrity. Unknown names and unmatched specs are 404 `not_found`.
 */
export async function resolveVersion(
  registry: RegistryConfig,
  name: string,
  spec = 'latest',
): Promise<ResolvedVersion> {
  const response = await get(registry, new URL(encodeName(name), registry.url).href, 'application/json');
  if (response.status === 404) throw new NotFoundError(`the registry has no package ${name}`);
  if (!response.ok) throw registryUnavailable(`the npm registry answered ${response.status} for ${name}`);
  const doc = (await documentOf(response, `for ${name}`)) as Packument;
  const versions = Object.keys(doc?.versions ?? {});
  const tags = doc?.['dist-tags'] ?? {};
  const tagged = Object.hasOwn(tags, spec) ? tags[spec] : undefined;
  // semver.valid normalises a version as npm reads it (`v1.0.0`, `=1.0.0` name 1.0.0).
  const version = tagged ?? semver.valid(spec) ?? semver.maxSatisfying(versions, spec);
  const entry = version ? doc?.versions?.[version] : undefined;
  if (!version || !entry?.dist?.tarball) throw new NotFoundError(`the registry has no version ${spec} of ${name}`);
  return {
    name,
    version,
    tarball: new URL(entry.dist.tarball, registry.url).href,
    integrity: typeof entry.dist.integrity === 'string' ? entry.dist.integrity : null,
    shasum: typeof entry.dist.shasum === 'string' ? entry.dist.shasum : null,
    // A registry's document is data from elsewhere: only an object lists dependencies.
    dependencies:
      entry.dependencies && typeof entry.dependencies === 'object' && !Array.isArray(entry.dependencies)
        ? entry.dependencies
        : {},
  };
}

/**
 * A version's tarball, checked against the digest the registry announced (`digestProblem`:
 * its integrity, else its shasum; neither is refused). Bytes that do not match are not the package the registry published: 422 `invalid_package` naming the version,
 * at `at` (a JSON pointer into the installing package's package.json), not 502, which is for
 * a registry that cannot be reached.
 */
export async function downloadTarball(registry: RegistryConfig, found: ResolvedVersion, at = ''): Promise<Buffer> {
  const { tarball: url } = found;
  const response = await get(registry, url, 'application/octet-stream');
  if (!response.ok) throw registryUnavailable(`the npm registry answered ${response.status} for ${url}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const problem = digestProblem(bytes, found);
  if (problem) throw invalidPackage([{ path: at, message: `${found.name}@${found.version}: ${problem}` }]);
  return bytes;
}

/** The registry's `/-/v1/search` for `keywords:waymark-node-package <q>`. */
export async function searchRegistry(registry: RegistryConfig, q: string, limit: number): Promise<SearchHit[]> {
  const url = new URL('-/v1/search', registry.url);
  url.searchParams.set('text', `keywords:waymark-node-package ${q}`.trim());
  url.searchParams.set('size', String(limit));
  const response = await get(registry, url.href, 'application/json');
  if (!response.ok) throw registryUnavailable(`the npm registry search answered ${response.status}`);
  const { objects } = await documentOf(response, 'the search');
  if (objects !== undefined && !Array.isArray(objects))
    throw registryUnavailable('the npm registry answered the search without a list of objects');
  const hits = (
    (objects ?? []) as ({ package?: { name?: unknown; version?: unknown; description?: unknown } } | null)[]
  ).flatMap((hit) => {
    const p = hit?.package;
    return typeof p?.name === 'string' && typeof p.version === 'string'
      ? [{ name: p.name, version: p.version, description: typeof p.description === 'string' ? p.description : null }]
      : [];
  });
  // `size` is a request: a registry (or a mirror) may answer more, and the answer holds `limit`.
  return hits.slice(0, limit);
}
