import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PackageDefinition } from '@waymark/sdk';
import type { Logger } from 'pino';
import { NodeRegistry } from './registry.js';

/** The packages every install has; loaded by name like any third-party package. */
export const BUILTIN_PACKAGES = [
  '@waymark/nodes-core',
  '@waymark/nodes-email',
  '@waymark/nodes-sms',
  '@waymark/nodes-http',
  '@waymark/nodes-crm',
  '@waymark/nodes-ses',
  '@waymark/nodes-postmark',
  '@waymark/nodes-sendgrid',
  '@waymark/nodes-mailgun',
  '@waymark/nodes-twilio',
];

function specifier(name: string, cwd: string): string {
  // A path (./x, /x) is imported as a file; anything else is a module name.
  if (!name.startsWith('.') && !name.startsWith('/')) return name;
  const target = path.resolve(cwd, name);
  return pathToFileURL(existsSync(path.join(target, 'package.json')) ? packageEntry(target) : target).href;
}

// ESM cannot import a folder: a package folder is entered through its package.json.
function packageEntry(dir: string): string {
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    exports?: string | Record<string, string | Record<string, string>>;
    main?: string;
  };
  const dot = typeof pkg.exports === 'string' ? pkg.exports : pkg.exports?.['.'];
  const entry = typeof dot === 'string' ? dot : (dot?.import ?? dot?.default ?? pkg.main ?? 'index.js');
  return path.join(dir, entry);
}

/** The `description` of the package.json of `name` (a module name or a folder), or null. */
function manifestDescription(name: string, cwd: string): string | null {
  try {
    const folder = name.startsWith('.') || name.startsWith('/');
    // A folder's own package.json; a module's is the first above its entry that names it.
    let dir = folder ? path.resolve(cwd, name) : path.dirname(fileURLToPath(import.meta.resolve(name)));
    for (;;) {
      const file = path.join(dir, 'package.json');
      const manifest = existsSync(file)
        ? (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; description?: unknown })
        : null;
      if (manifest && (folder || manifest.name === name))
        return typeof manifest.description === 'string' ? manifest.description : null;
      if (folder || path.dirname(dir) === dir) return null;
      dir = path.dirname(dir);
    }
  } catch {
    return null;
  }
}

/**
 * Imports the built-in packages and those named in `WAYMARK_NODE_PACKAGES`. A package that
 * fails to import, is malformed or clashes is logged and listed with its error; the rest load.
 *
 * @example
 * const registry = await loadRegistry(['@acme/waymark-nodes'], logger);
 */
export async function loadRegistry(
  extra: readonly string[],
  logger: Logger,
  cwd = process.cwd(),
): Promise<NodeRegistry> {
  const registry = new NodeRegistry();
  for (const name of [...BUILTIN_PACKAGES, ...extra]) {
    let pkg: PackageDefinition;
    try {
      const mod = (await import(specifier(name, cwd))) as { default?: PackageDefinition };
      if (!mod.default) throw new Error('the module has no default export');
      pkg = mod.default;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error({ package: name, err: message }, 'node package failed to load');
      registry.addFailure(name, message);
      continue;
    }
    const info =
      pkg && typeof pkg === 'object'
        ? registry.add(pkg, { source: name, description: manifestDescription(name, cwd) })
        : registry.addFailure(name, 'the default export is not a definePackage({ name, version, nodes }) value');
    if (info.error) logger.error({ package: name, err: info.error }, 'node package refused');
    else logger.debug({ package: info.name, nodes: info.nodes }, 'node package loaded');
  }
  return registry;
}
