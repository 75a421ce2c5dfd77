import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { starterFiles } from './templates.js';

/**
 * Writes a new node package with one node, its test, a README and a build script.
 *
 * @example
 * createNodePackage('/tmp/acme-nodes', { name: '@acme/waymark-nodes' })
 */
export function createNodePackage(dir: string, options: { name?: string; prefix?: string } = {}): string[] {
  const target = path.resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0) throw new Error(`${target} exists and is not empty`);
  const base = path.basename(target);
  const prefix =
    (options.prefix ?? base.replace(/^waymark-nodes-|-?waymark-?|-?nodes?$/g, ''))
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '') || 'custom';
  if (!/^[a-z][a-z0-9-]*$/.test(prefix))
    throw new Error(`"${prefix}" is not a usable type prefix: use letters, digits and dashes, starting with a letter`);
  const name = options.name ?? `waymark-nodes-${prefix}`;
  const sdkPath = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
  const sdkPackage = JSON.parse(readFileSync(path.join(sdkPath, 'package.json'), 'utf8')) as { version: string };
  const files = starterFiles({ name, prefix, sdkVersion: sdkPackage.version, sdkPath });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
    writeFileSync(path.join(target, file), text);
  }
  return Object.keys(files);
}

function parseArgs(argv: string[]): { dir?: string; name?: string; prefix?: string } {
  const out: { dir?: string; name?: string; prefix?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--name') out.name = argv[++i];
    else if (arg === '--prefix') out.prefix = argv[++i];
    else if (arg && !arg.startsWith('--')) out.dir = arg;
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv.slice(2));
  if (!args.dir) {
    console.error('usage: npm run new-node-package -- <dir> [--name @acme/waymark-nodes] [--prefix acme]');
    process.exit(2);
  }
  try {
    const files = createNodePackage(args.dir, args);
    console.log(
      `created ${path.resolve(args.dir)}:\n${files.map((f) => `  ${f}`).join('\n')}\n\nnext: cd ${args.dir} && npm install && npm test`,
    );
  } catch (error) {
    console.error(`new-node-package: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
