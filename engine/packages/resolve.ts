import { invalidPackage } from './errors.js';
import { isNpmName, notAnNpmDependency, pointer } from './manifest.js';
import { downloadTarball, type RegistryConfig, resolveVersion } from './npm-registry.js';

/** A dependency resolved from the registry, with its tarball, for one flat node_modules. */
export interface ResolvedDependency {
  name: string;
  version: string;
  tarball: Buffer;
}

const MAX_DEPENDENCIES = 300;

/** A dependency still to resolve, with the package.json dependency it was reached through. */
interface Wanted {
  name: string;
  spec: unknown;
  /** `/dependencies/<name>` of the package's own dependency that brought it. */
  at: string;
  /** The registry version whose packument lists it; null for the package's own. */
  parent: string | null;
}

/**
 * Resolves a package's `dependencies` and theirs from the registry into one flat
 * node_modules (the first version reached of a name is the one kept, as npm hoists), and
 * downloads each tarball. `@waymark/sdk` is never installed: the running SDK is. Every name,
 * the registry's included, must be an npm package name, since it becomes a folder's path.
 *
 * @example
 * const deps = await resolveDependencies(registry, { 'left-pad': '^1.3.0' });
 */
export async function resolveDependencies(
  registry: RegistryConfig,
  dependencies: Record<string, string>,
): Promise<ResolvedDependency[]> {
  const chosen = new Map<string, ResolvedDependency>();
  let queue: Wanted[] = Object.entries(dependencies).map(([name, spec]) => ({
    name,
    spec,
    at: pointer('dependencies', name),
    parent: null,
  }));
  while (queue.length) {
    const next: Wanted[] = [];
    for (const { name, spec, at, parent } of queue) {
      if (!isNpmName(name))
        throw invalidPackage([
          {
            path: at,
            message: parent
              ? `${parent} depends on "${name}", which is not an npm package name`
              : notAnNpmDependency(name),
          },
        ]);
      if (name === '@waymark/sdk' || chosen.has(name)) continue;
      if (chosen.size >= MAX_DEPENDENCIES)
        throw invalidPackage([{ path: '/dependencies', message: `more than ${MAX_DEPENDENCIES} dependencies` }]);
      const found = await resolveVersion(registry, name, String(spec)).catch((error: Error) => {
        if ((error as { code?: string }).code !== 'not_found') throw error;
        throw invalidPackage([{ path: '/dependencies', message: `${name}@${String(spec)}: ${error.message}` }]);
      });
      const tarball = await downloadTarball(registry, found, at);
      chosen.set(name, { name, version: found.version, tarball });
      const via = `${name}@${found.version}`;
      next.push(
        ...Object.entries(found.dependencies).map(([dep, range]) => ({ name: dep, spec: range, at, parent: via })),
      );
    }
    queue = next;
  }
  return [...chosen.values()];
}
