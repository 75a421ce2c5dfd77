import { invalidPackage } from './errors.js';
import { downloadTarball, type RegistryConfig, resolveVersion } from './npm-registry.js';

/** A dependency resolved from the registry, with its tarball, for one flat node_modules. */
export interface ResolvedDependency {
  name: string;
  version: string;
  tarball: Buffer;
}

const MAX_DEPENDENCIES = 300;

/**
 * Resolves a package's `dependencies` and theirs from the registry into one flat
 * node_modules (the first version reached of a name is the one kept, as npm hoists), and
 * downloads each tarball. `@waymark/sdk` is never installed: the running SDK is.
 *
 * @example
 * const deps = await resolveDependencies(registry, { 'left-pad': '^1.3.0' });
 */
export async function resolveDependencies(
  registry: RegistryConfig,
  dependencies: Record<string, string>,
): Promise<ResolvedDependency[]> {
  const chosen = new Map<string, ResolvedDependency>();
  let queue = Object.entries(dependencies);
  while (queue.length) {
    const next: [string, string][] = [];
    for (const [name, spec] of queue) {
      if (name === '@waymark/sdk' || chosen.has(name)) continue;
      if (chosen.size >= MAX_DEPENDENCIES)
        throw invalidPackage([{ path: '/dependencies', message: `more than ${MAX_DEPENDENCIES} dependencies` }]);
      const found = await resolveVersion(registry, name, spec).catch((error: Error) => {
        if ((error as { code?: string }).code !== 'not_found') throw error;
        throw invalidPackage([{ path: '/dependencies', message: `${name}@${spec}: ${error.message}` }]);
      });
      const tarball = await downloadTarball(registry, found.tarball, found.integrity);
      chosen.set(name, { name, version: found.version, tarball });
      next.push(...Object.entries(found.dependencies));
    }
    queue = next;
  }
  return [...chosen.values()];
}
