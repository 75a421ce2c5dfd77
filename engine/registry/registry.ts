import type { AnyNodeDefinition, CredentialDefinition, PackageDefinition } from '@waymark/sdk';

/** A package as `GET /api/packages` lists it: what loaded, or why it did not. */
export interface PackageInfo {
  name: string;
  version: string;
  nodes: string[];
  credentials: string[];
  error?: string;
}

export interface RegisteredNode {
  definition: AnyNodeDefinition;
  package: { name: string; version: string };
}

const key = (type: string, version: number) => `${type}@${version}`;

/** The part of a type before its first dot: `acme` in `acme.shout`. */
export const prefixOf = (type: string) => type.split('.')[0] ?? type;

/**
 * Every node type and credential type Waymark knows, several versions of a type side by
 * side. Filled once at start-up by `loadRegistry`; read-only afterwards.
 */
export class NodeRegistry {
  readonly #nodes = new Map<string, RegisteredNode>();
  readonly #credentials = new Map<string, CredentialDefinition>();
  readonly #prefixes = new Map<string, string>();
  readonly packages: PackageInfo[] = [];

  /**
   * Adds a package, or records why it was refused; a refused package adds nothing.
   * `problem` refuses it for a reason found by the caller (a params schema that does not
   * compile); `source` names it when its own name is missing.
   */
  add(pkg: PackageDefinition, options: { problem?: string | null; source?: string } = {}): PackageInfo {
    const nodes = Array.isArray(pkg.nodes) ? pkg.nodes : [];
    const info: PackageInfo = {
      name: typeof pkg.name === 'string' ? pkg.name : (options.source ?? 'unknown'),
      version: typeof pkg.version === 'string' ? pkg.version : 'unknown',
      nodes: nodes.map((n) => key(String(n?.type), Number(n?.version))),
      credentials: (Array.isArray(pkg.credentials) ? pkg.credentials : []).map((c) => String(c?.type)),
    };
    const error = options.problem || this.#problemWith(pkg);
    if (error) info.error = error;
    else {
      for (const node of pkg.nodes) {
        this.#nodes.set(key(node.type, node.version), {
          definition: node,
          package: { name: pkg.name, version: pkg.version },
        });
      }
      for (const credential of pkg.credentials ?? []) this.#credentials.set(credential.type, withSendRate(credential));
      const first = pkg.nodes[0] ?? pkg.credentials?.[0];
      if (first) this.#prefixes.set(prefixOf(first.type), pkg.name);
    }
    this.packages.push(info);
    return info;
  }

  /** Records a package that could not even be imported. */
  addFailure(name: string, error: string): PackageInfo {
    const info: PackageInfo = { name, version: 'unknown', nodes: [], credentials: [], error };
    this.packages.push(info);
    return info;
  }

  get(type: string, version: number): RegisteredNode | undefined {
    return this.#nodes.get(key(type, version));
  }

  /** The newest version of a type, for the editor's upgrade offer. */
  latestVersion(type: string): number | undefined {
    let latest: number | undefined;
    for (const { definition } of this.#nodes.values()) {
      if (definition.type === type && (latest === undefined || definition.version > latest))
        latest = definition.version;
    }
    return latest;
  }

  credential(type: string): CredentialDefinition | undefined {
    return this.#credentials.get(type);
  }

  /** The credential types that take a provider's event webhook (`events.provider`). */
  eventCredentials(provider: string): CredentialDefinition[] {
    return [...this.#credentials.values()].filter((c) => c.events?.provider === provider);
  }

  nodes(): RegisteredNode[] {
    return [...this.#nodes.values()];
  }

  #problemWith(pkg: PackageDefinition): string | null {
    if (typeof pkg.name !== 'string' || typeof pkg.version !== 'string' || !Array.isArray(pkg.nodes)) {
      return 'the default export is not a definePackage({ name, version, nodes }) value';
    }
    const types = [...pkg.nodes.map((n) => n?.type), ...(pkg.credentials ?? []).map((c) => c?.type)];
    if (types.length === 0) return 'the package defines no node or credential types';
    const prefix = prefixOf(String(types[0]));
    for (const node of pkg.nodes) {
      const problem = nodeProblem(node);
      if (problem) return problem;
    }
    for (const type of types) {
      if (typeof type !== 'string' || !/^[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9.-]*$/.test(type)) {
        return `"${String(type)}" is not a type name of the form "<prefix>.<name>"`;
      }
      if (prefixOf(type) !== prefix) return `"${type}" is outside the package's prefix "${prefix}."`;
    }
    const owner = this.#prefixes.get(prefix);
    if (owner && owner !== pkg.name) return `the prefix "${prefix}." belongs to ${owner}`;
    for (const node of pkg.nodes) {
      const clash = this.#nodes.get(key(node.type, node.version));
      if (clash) return `${key(node.type, node.version)} is already defined by ${clash.package.name}`;
    }
    const seen = new Set<string>();
    for (const node of pkg.nodes) {
      if (seen.has(key(node.type, node.version))) return `${key(node.type, node.version)} is defined twice`;
      seen.add(key(node.type, node.version));
    }
    return null;
  }
}

function nodeProblem(node: AnyNodeDefinition): string | null {
  if (!node || typeof node !== 'object') return 'a node is not a defineNode(...) value';
  const name = typeof node.type === 'string' ? node.type : '(no type)';
  if (!Number.isInteger(node.version) || node.version < 1) return `${name}: version must be a whole number from 1`;
  if (!['trigger', 'action', 'condition', 'wait'].includes(node.kind))
    return `${name}: kind must be trigger, action, condition or wait`;
  if (typeof node.run !== 'function') return `${name}: run is not a function`;
  if (!node.params || typeof node.params !== 'object') return `${name}: params must be a JSON Schema object`;
  if (typeof node.outputs !== 'function' && !Array.isArray(node.outputs))
    return `${name}: outputs must be a list or a function`;
  if (node.validate !== undefined && typeof node.validate !== 'function')
    return `${name}: validate must be a function when given`;
  return null;
}

/** The `maxPerSecond` every sending credential takes (API.md "Sending credentials"). */
const SEND_RATE_SCHEMA = {
  type: 'integer',
  minimum: 1,
  maximum: 100000,
  title: 'Messages per second at most',
  description: 'messages beyond it are held and go out in order as the rate allows',
};

/** A sender type's schema gains `maxPerSecond`, which the engine enforces; packages do not declare it. */
function withSendRate(credential: CredentialDefinition): CredentialDefinition {
  const properties = credential.schema.properties;
  if (!credential.sender || !properties || typeof properties !== 'object' || Array.isArray(properties)) {
    return credential;
  }
  return {
    ...credential,
    schema: { ...credential.schema, properties: { ...properties, maxPerSecond: SEND_RATE_SCHEMA } },
  };
}
