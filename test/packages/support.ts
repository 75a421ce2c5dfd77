import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { create } from 'tar';
import { integrityOf } from '../../engine/packages/tarball-digest.js';
import type { Runtime } from '../../engine/runtime.js';

/** A node package written in plain JavaScript: `run` is the body of its one node's `run(ctx)`. */
export interface PackageSpec {
  name: string;
  version: string;
  /** Node type prefix; default `acme`. */
  prefix?: string;
  /** The `version` of its node (what graphs name); default 1. */
  nodeVersion?: number;
  /** The body of `async run(ctx) { … }`; default upper-cases `ctx.params.text`. */
  run?: string;
  /** Extra fields of the node definition, as JavaScript source (`timeoutMs: 300, maxAttempts: 1`). */
  node?: string;
  /** Top-level code of the entry, before the definitions (an import-time throw, a require). */
  preamble?: string;
  /** Its credential types, as JavaScript source of an array (`[{ type: 'acme.key', … }]`). */
  credentials?: string;
  manifest?: Record<string, unknown>;
  readme?: string;
}

/** Writes a package folder (package.json, index.mjs, README.md) and returns its path. */
export function writePackage(spec: PackageSpec): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'waymark-pkg-'));
  const prefix = spec.prefix ?? 'acme';
  const manifest = {
    name: spec.name,
    version: spec.version,
    description: `Test nodes ${spec.version}`,
    type: 'module',
    main: './index.mjs',
    keywords: ['waymark-node-package'],
    peerDependencies: { '@waymark/sdk': '^0.1.0' },
    ...spec.manifest,
  };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(path.join(dir, 'README.md'), spec.readme ?? `# ${spec.name}\n\nShouts.\n`);
  writeFileSync(
    path.join(dir, 'index.mjs'),
    `import { defineNode, definePackage, RetryableError } from '@waymark/sdk';
${spec.preamble ?? ''}
const shout = defineNode({
  type: '${prefix}.shout', version: ${spec.nodeVersion ?? 1}, kind: 'action', title: 'Shout', description: 'Shouts a text.',
  category: 'Test',
  params: { type: 'object', properties: { text: { type: 'string', format: 'template' } }, required: ['text'] },
  outputs: ['out'],
  ${spec.node ?? ''}
  async run(ctx) { ${spec.run ?? "return { next: 'out', output: { shouted: ctx.params.text.toUpperCase() } };"} },
});
export default definePackage({ name: '${spec.name}', version: '${spec.version}', nodes: [shout]${spec.credentials ? `, credentials: ${spec.credentials}` : ''} });
`,
  );
  return dir;
}

/** An `npm pack`-shaped tarball of a folder: every file under `package/`, gzipped. */
export async function pack(dir: string): Promise<Buffer> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((f) => !f.startsWith('node_modules'));
  const chunks: Buffer[] = [];
  const stream = create({ gzip: true, cwd: dir, prefix: 'package', portable: true }, files);
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** A package version the stand-in registry serves. */
interface Published {
  version: string;
  tarball: Buffer;
  dependencies?: Record<string, string>;
  description?: string;
  /** Where the packument says the tarball is, when not on the registry itself. */
  tarballUrl?: string;
  /** The packument's `dist.integrity` and `dist.shasum` as given; default the tarball's sha512 integrity alone. */
  dist?: { integrity?: string; shasum?: string };
}

/**
 * A private npm registry stand-in on 127.0.0.1 speaking the registry protocol: `GET /<name>`
 * (packument, scoped names as `@scope%2fname`), tarballs under `/<name>/-/`, and
 * `GET /-/v1/search`. With a token it answers 401 to requests without `Bearer <token>`.
 */
export class RegistryStandIn {
  readonly packages = new Map<string, Published[]>();
  readonly requests: { url: string; authorization: string | undefined }[] = [];
  #server: http.Server | null = null;
  url = '';

  constructor(private readonly token: string | null = null) {}

  publish(name: string, published: Published): void {
    this.packages.set(name, [...(this.packages.get(name) ?? []), published]);
  }

  async start(): Promise<string> {
    this.#server = http.createServer((req, res) => this.#answer(req, res));
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/`;
    return this.url;
  }

  #answer(req: http.IncomingMessage, res: http.ServerResponse) {
    this.requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (this.token && req.headers.authorization !== `Bearer ${this.token}`) return json(401, { error: 'unauthorized' });
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname === '/-/v1/search') {
      const text = url.searchParams.get('text') ?? '';
      const words = text.split(' ').filter((w) => w && !w.startsWith('keywords:'));
      const objects = [...this.packages]
        .filter(([name]) => words.every((w) => name.includes(w)))
        .map(([name, versions]) => {
          const last = versions[versions.length - 1] as Published;
          return { package: { name, version: last.version, description: last.description ?? null } };
        });
      return json(200, { objects, total: objects.length });
    }
    const tarball = url.pathname.match(/^\/(.+)\/-\/[^/]+-(\d[^/]*)\.tgz$/);
    if (tarball) {
      const found = this.packages.get(decodeURIComponent(tarball[1] ?? ''))?.find((p) => p.version === tarball[2]);
      if (!found) return json(404, {});
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return res.end(found.tarball);
    }
    const name = decodeURIComponent(url.pathname.slice(1));
    const versions = this.packages.get(name);
    if (!versions) return json(404, { error: 'not found' });
    const base = name.split('/').pop();
    json(200, {
      name,
      'dist-tags': { latest: versions[versions.length - 1]?.version },
      versions: Object.fromEntries(
        versions.map((p) => [
          p.version,
          {
            name,
            version: p.version,
            dependencies: p.dependencies ?? {},
            dist: {
              tarball: p.tarballUrl ?? `${this.url}${name}/-/${base}-${p.version}.tgz`,
              ...(p.dist ?? { integrity: integrityOf(p.tarball) }),
            },
          },
        ]),
      ),
    });
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}

/** A folder for a test's files. */
export const scratch = (label: string) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), `waymark-${label}-`));
  mkdirSync(dir, { recursive: true });
  return dir;
};

/**
 * `npm install` in a package `npm run new-node-package` wrote: npm itself installs
 * `@waymark/sdk` (from this checkout: it is on no registry), `--offline`, so a lookup of it on
 * the registry would fail the install; typescript and vitest, which do come from the
 * registry, are linked from this checkout instead (with their `.bin` entries).
 */
export function installStarter(dir: string): void {
  const root = path.resolve(import.meta.dirname, '../..');
  const manifestPath = path.join(dir, 'package.json');
  const written = readFileSync(manifestPath, 'utf8');
  const manifest = JSON.parse(written) as { devDependencies: Record<string, string> };
  const { typescript: _typescript, vitest: _vitest, ...fromCheckout } = manifest.devDependencies;
  writeFileSync(manifestPath, JSON.stringify({ ...manifest, devDependencies: fromCheckout }));
  try {
    execFileSync('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: dir,
      stdio: 'pipe',
    });
  } finally {
    writeFileSync(manifestPath, written);
  }
  mkdirSync(path.join(dir, 'node_modules/.bin'), { recursive: true });
  for (const [name, bin] of [
    ['typescript', 'bin/tsc'],
    ['vitest', 'vitest.mjs'],
  ] as const) {
    symlinkSync(path.join(root, 'node_modules', name), path.join(dir, 'node_modules', name));
    symlinkSync(
      path.join(root, 'node_modules', name, bin),
      path.join(dir, 'node_modules/.bin', path.basename(bin, '.mjs')),
    );
  }
}

/** The package processes this test's process runs for `runtime`: each reads under that runtime's packages' folder. */
export function packageProcesses(runtime: Runtime): number {
  let count = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (ppid === process.pid && args.includes(`--allow-fs-read=${runtime.packages.files.root}`)) count++;
    } catch {
      // Ended meanwhile.
    }
  }
  return count;
}
