import type { AnyNodeDefinition, CredentialDefinition, ErrorDetail, PackageDefinition } from '@waymark/sdk';
import type { PackageInfo } from '../packages/entry-types.js';
import { isReservedName, RESERVED_SCOPE } from '../packages/manifest.js';
import {
  foreignCredentialProblems,
  packagePrefix,
  packageShapeProblems,
  prefixOf,
  providerPartsProblem,
} from './definition-problems.js';
import { InstalledVersions, nodeKey as key } from './installed-versions.js';
import { withSendRate } from './send-rate.js';

/** A credential type with the package that defines it (`GET /api/credential-types`). */
export interface RegisteredCredential {
  definition: CredentialDefinition;
  package: { name: string; version: string };
}

export interface RegisteredNode {
  definition: AnyNodeDefinition;
  /** `versions`: of an installed package, every installed version defining this node, highest first. */
  package: { name: string; version: string; versions?: string[] };
}

/**
 * Every node type and credential type Waymark knows, several versions of a type side by
 * side. Built-in and environment packages are added once at start-up by `loadRegistry`;
 * installed package versions come and go while the process runs (`InstalledPackages`).
 */
export class NodeRegistry {
  readonly #nodes = new Map<string, RegisteredNode>();
  readonly #credentials = new Map<string, RegisteredCredential>();
  readonly #prefixes = new Map<string, string>();
  readonly packages: PackageInfo[] = [];
  /** Installed package versions: what loaded (or why not), and which a graph pins. */
  readonly #installed = new InstalledVersions();

  /**
   * Adds a package, or records why it was refused; a refused package adds nothing.
   * `source` names it when its own name is missing.
   */
  add(pkg: PackageDefinition, options: { source?: string; description?: string | null } = {}): PackageInfo {
    const info = this.#infoOf(
      pkg,
      options.source ?? 'unknown',
      options.source?.startsWith('@waymark/nodes-') ? 'builtin' : 'environment',
    );
    info.description = options.description ?? null;
    const error = this.#problemWith(pkg);
    if (error) info.error = error;
    else {
      for (const node of pkg.nodes) {
        this.#nodes.set(key(node.type, node.version), {
          definition: node,
          package: { name: pkg.name, version: pkg.version },
        });
      }
      this.#addCredentials(pkg, pkg.name, pkg.version);
      const first = pkg.nodes[0] ?? pkg.credentials?.[0];
      if (first) this.#prefixes.set(prefixOf(first.type), pkg.name);
    }
    this.packages.push(info);
    return info;
  }

  #addCredentials(pkg: PackageDefinition, name: string, version: string): void {
    for (const credential of pkg.credentials ?? [])
      this.#credentials.set(credential.type, { definition: withSendRate(credential), package: { name, version } });
  }

  #infoOf(pkg: PackageDefinition, fallbackName: string, source: PackageInfo['source']): PackageInfo {
    const nodes = Array.isArray(pkg?.nodes) ? pkg.nodes : [];
    return {
      name: typeof pkg?.name === 'string' ? pkg.name : fallbackName,
      version: typeof pkg?.version === 'string' ? pkg.version : 'unknown',
      source,
      description: null,
      nodes: nodes.map((n) => key(String(n?.type), Number(n?.version))),
      credentials: (Array.isArray(pkg?.credentials) ? pkg.credentials : []).map((c) => String(c?.type)),
    };
  }

  /**
   * Adds an installed package version next to the others of its name (or records why it
   * cannot be used); its prefix must be its own and its types must not be built-in ones.
   */
  addInstalled(name: string, version: string, pkg: PackageDefinition | null, problem: string | null): PackageInfo {
    const info = pkg
      ? this.#infoOf(pkg, name, 'installed')
      : { name, version, source: 'installed' as const, description: null, nodes: [], credentials: [] };
    info.name = name;
    info.version = version;
    const found = pkg ? this.installedProblems(name, pkg).map((p) => p.message) : [];
    const error = problem ?? (pkg ? found.join('; ') || null : 'the package did not load');
    if (error) info.error = error;
    const loaded =
      error || !pkg
        ? { name, version, nodes: [] }
        : { ...pkg, ...(pkg.credentials ? { credentials: pkg.credentials.map(withSendRate) } : {}) };
    this.#installed.set(name, version, { pkg: loaded, info });
    return info;
  }

  /**
   * Forgets an installed version: node types and credential types only it defined leave the
   * catalogue; one another loaded version defines stays, as that version defines it.
   */
  removeInstalled(name: string, version: string): void {
    this.#installed.remove(name, version);
  }

  /** Installed packages as listed: by name, then version highest first. */
  installedPackages(): PackageInfo[] {
    return this.#installed.infos();
  }

  /**
   * For each installed package a graph's nodes come from, the highest version that defines
   * every `type@version` of it the graph uses (what a publish pins), and the nodes no single
   * version defines, each with why (`InstalledVersions.pinsFor`). `gone` (`name@version`) are
   * versions another process removed that this one has not yet heard of: they are passed over.
   */
  pinsFor(
    nodes: readonly { id: string; type: string; version: number }[],
    gone: ReadonlySet<string> = new Set(),
  ): {
    pins: Record<string, string>;
    unpinned: { nodeId: string; message: string }[];
  } {
    return this.#installed.pinsFor(nodes, (type, version) => this.#nodes.has(key(type, version)), gone);
  }

  /** Of a journey version's pins, those no longer installed here (`name@version`). */
  missingPins(pins: Readonly<Record<string, string>>): string[] {
    return this.#installed.missingPins(pins);
  }

  /**
   * Why an installed package version cannot be used here (its shape, its prefix, its
   * credential types and those its nodes list), one detail per problem; empty when none.
   */
  installedProblems(name: string, pkg: PackageDefinition): ErrorDetail[] {
    // Refused at install; a version stored before that must not load either.
    if (isReservedName(name)) return [{ path: '/name', message: RESERVED_SCOPE }];
    if (pkg.name !== name)
      return [{ path: '', message: `the default export names ${String(pkg.name)}, package.json ${name}` }];
    const shape = packageShapeProblems(pkg);
    if (shape.length) return shape;
    const problems: ErrorDetail[] = [];
    const prefix = packagePrefix(pkg);
    const owner = this.#prefixes.get(prefix) ?? this.#installed.ownerOf(`${prefix}.x`);
    if (owner && owner !== name) problems.push({ path: '', message: `the prefix "${prefix}." belongs to ${owner}` });
    (pkg.credentials ?? []).forEach((credential, i) => {
      const problem = providerPartsProblem(credential, prefix);
      if (problem) problems.push({ path: `/credentials/${i}`, message: problem });
    });
    return [...problems, ...foreignCredentialProblems(pkg)];
  }

  /** Records a package that could not even be imported. */
  addFailure(name: string, error: string): PackageInfo {
    const source = name.startsWith('@waymark/nodes-') ? 'builtin' : 'environment';
    const info: PackageInfo = {
      name,
      version: 'unknown',
      source,
      description: null,
      nodes: [],
      credentials: [],
      error,
    };
    this.packages.push(info);
    return info;
  }

  /**
   * A node type's definition: a built-in or environment one, else the installed package's
   * version `pins` names (absent when that version is not installed), else its highest
   * installed version that defines it.
   */
  get(type: string, version: number, pins?: Readonly<Record<string, string>>): RegisteredNode | undefined {
    const fixed = this.#nodes.get(key(type, version));
    if (fixed) return fixed;
    const name = this.#installed.ownerOf(type);
    if (!name) return undefined;
    const defining = this.#installed.definingVersions(name, type, version);
    const chosen = pins?.[name] ?? defining[0];
    const definition = chosen ? this.#installed.definition(name, chosen, type, version) : undefined;
    return definition && chosen ? { definition, package: { name, version: chosen, versions: defining } } : undefined;
  }

  /** The newest version of a type, for the editor's upgrade offer. */
  latestVersion(type: string): number | undefined {
    let latest: number | undefined;
    for (const { definition } of this.nodes()) {
      if (definition.type === type && (latest === undefined || definition.version > latest))
        latest = definition.version;
    }
    return latest;
  }

  credential(type: string): CredentialDefinition | undefined {
    return (this.#credentials.get(type) ?? this.#installed.credential(type))?.definition;
  }

  /**
   * Every credential type known here, each with the package that defines it: an installed
   * one from its highest installed version that loaded and defines it, so it goes with the
   * last version that does.
   */
  credentials(): RegisteredCredential[] {
    return [
      ...this.#credentials.values(),
      ...this.#installed.credentials().filter((c) => !this.#credentials.has(c.definition.type)),
    ];
  }

  /** The credential types that take a provider's event webhook (`events.provider`). */
  eventCredentials(provider: string): CredentialDefinition[] {
    return this.credentials()
      .map((c) => c.definition)
      .filter((c) => c.events?.provider === provider);
  }

  /** Every node type once: built-in and environment ones, and each installed one from its highest version. */
  nodes(): RegisteredNode[] {
    const installed = new Map<string, RegisteredNode>();
    for (const node of this.#installed.definitions()) {
      const found = this.get(node.type, node.version);
      if (found) installed.set(key(node.type, node.version), found);
    }
    return [...this.#nodes.values(), ...installed.values()];
  }

  #problemWith(pkg: PackageDefinition): string | null {
    const shape = packageShapeProblems(pkg);
    if (shape.length) return shape.map((p) => p.message).join('; ');
    const prefix = packagePrefix(pkg);
    const owner = this.#prefixes.get(prefix);
    if (owner && owner !== pkg.name) return `the prefix "${prefix}." belongs to ${owner}`;
    for (const node of pkg.nodes) {
      const clash = this.#nodes.get(key(node.type, node.version));
      if (clash) return `${key(node.type, node.version)} is already defined by ${clash.package.name}`;
    }
    return null;
  }
}
