import type { AnyNodeDefinition, PackageDefinition } from '@waymark/sdk';
import semver from 'semver';
import type { PackageInfo } from '../packages/entry-types.js';
import { prefixOf } from './definition-problems.js';
import type { RegisteredCredential } from './registry.js';

/** An installed package version that loaded, with the definitions its steps run. */
export interface InstalledVersion {
  pkg: PackageDefinition;
  info: PackageInfo;
}

/**
 * Highest first; versions equal by semver (`1.5.0`, `v1.5.0`, `1.5.0+b` stored before install
 * refused the last two) by their text, so every process orders and pins them alike.
 */
const bySemverDesc = (a: string, b: string) => semver.rcompare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

export const nodeKey = (type: string, version: number) => `${type}@${version}`;

/**
 * The installed package versions side by side (`NodeRegistry`'s share of them): which version
 * of a package defines a node type, which one a graph pins, which pins are gone. A package's
 * versions are ordered by semver, highest first, wherever they are listed or chosen.
 */
export class InstalledVersions {
  /** name → version → what loaded (or why not). */
  readonly #byName = new Map<string, Map<string, InstalledVersion>>();

  set(name: string, version: string, entry: InstalledVersion): void {
    const versions = this.#byName.get(name) ?? new Map<string, InstalledVersion>();
    versions.set(version, entry);
    this.#byName.set(name, versions);
  }

  remove(name: string, version: string): void {
    this.#byName.get(name)?.delete(version);
    if (this.#byName.get(name)?.size === 0) this.#byName.delete(name);
  }

  has(name: string, version: string): boolean {
    return this.#byName.get(name)?.has(version) ?? false;
  }

  /** Every version's package info: by name, then version highest first. */
  infos(): PackageInfo[] {
    return [...this.#byName.keys()]
      .sort()
      .flatMap((name) => this.versionsOf(name).map((v) => this.#byName.get(name)?.get(v)?.info as PackageInfo));
  }

  /** Every node definition of every version (a type in several versions more than once). */
  *definitions(): Iterable<AnyNodeDefinition> {
    for (const versions of this.#byName.values()) for (const { pkg } of versions.values()) yield* pkg.nodes;
  }

  /**
   * Every credential type of every loaded version once, each from its package's highest
   * version that defines it (a version that failed to load defines none).
   */
  credentials(): RegisteredCredential[] {
    const found = new Map<string, RegisteredCredential>();
    for (const name of [...this.#byName.keys()].sort())
      for (const version of this.versionsOf(name))
        for (const definition of this.#byName.get(name)?.get(version)?.pkg.credentials ?? [])
          if (!found.has(definition.type)) found.set(definition.type, { definition, package: { name, version } });
    return [...found.values()];
  }

  /** A credential type as the highest installed version defining it defines it (`credentials`' rule). */
  credential(type: string): RegisteredCredential | undefined {
    return this.credentials().find((c) => c.definition.type === type);
  }

  versionsOf(name: string): string[] {
    return [...(this.#byName.get(name)?.keys() ?? [])].sort(bySemverDesc);
  }

  /** The installed package whose prefix a type is under, if any. */
  ownerOf(type: string): string | undefined {
    const prefix = prefixOf(type);
    for (const [name, versions] of this.#byName)
      for (const { pkg } of versions.values()) if (pkg.nodes.some((n) => prefixOf(n.type) === prefix)) return name;
    return undefined;
  }

  /** Installed versions of `name` that loaded and define `type@version`, highest first. */
  definingVersions(name: string, type: string, version: number): string[] {
    return this.versionsOf(name).filter((v) => this.definition(name, v, type, version) !== undefined);
  }

  /** `type@version` as package `name`'s installed version `packageVersion` defines it. */
  definition(name: string, packageVersion: string, type: string, version: number): AnyNodeDefinition | undefined {
    return this.#byName
      .get(name)
      ?.get(packageVersion)
      ?.pkg.nodes.find((n) => n.type === type && n.version === version);
  }

  /**
   * For each installed package a graph's nodes come from, the highest version that defines
   * every `type@version` of it the graph uses (what a publish pins), and the nodes no single
   * version defines, each with why: which `type@version` the newest version defining its own
   * lacks. A `type@version` no version defines is left out (the graph's node rules name it), so
   * it puts no problem on the others; so is one `fixed` says a built-in or environment package
   * defines. `gone` (`name@version`) are versions another process removed that this one has not
   * yet heard of: they are passed over.
   */
  pinsFor(
    nodes: readonly { id: string; type: string; version: number }[],
    fixed: (type: string, version: number) => boolean,
    gone: ReadonlySet<string>,
  ): {
    pins: Record<string, string>;
    unpinned: { nodeId: string; message: string }[];
  } {
    const byPackage = new Map<string, { id: string; type: string; version: number }[]>();
    for (const node of nodes) {
      if (fixed(node.type, node.version)) continue;
      const owner = this.ownerOf(node.type);
      if (owner && this.definingVersions(owner, node.type, node.version).length)
        byPackage.set(owner, [...(byPackage.get(owner) ?? []), node]);
    }
    const pins: Record<string, string> = {};
    const unpinned: { nodeId: string; message: string }[] = [];
    for (const [name, used] of byPackage) {
      const defining = (n: { type: string; version: number }) =>
        this.definingVersions(name, n.type, n.version).filter((v) => !gone.has(`${name}@${v}`));
      const version = this.versionsOf(name).find(
        (v) => !gone.has(`${name}@${v}`) && used.every((n) => defining(n).includes(v)),
      );
      if (version) pins[name] = version;
      else
        for (const node of used) {
          const newest = defining(node)[0];
          const lacks = [
            ...new Set(
              used.filter((n) => newest && !defining(n).includes(newest)).map((n) => nodeKey(n.type, n.version)),
            ),
          ];
          const why = newest
            ? `${name}@${newest}, the newest that defines ${nodeKey(node.type, node.version)}, lacks ${lacks.join(', ')}`
            : `${nodeKey(node.type, node.version)} is in none of its versions still installed`;
          unpinned.push({
            nodeId: node.id,
            message: `no single installed version of its package defines every node of it used here: ${why}`,
          });
        }
    }
    return { pins, unpinned };
  }

  /** Of a journey version's pins, those no longer installed here (`name@version`). */
  missingPins(pins: Readonly<Record<string, string>>): string[] {
    return Object.entries(pins)
      .filter(([name, version]) => !this.has(name, version))
      .map(([name, version]) => `${name}@${version}`);
  }
}
