import type { PackageEntry } from '../../lib/api/types/catalogue.ts';

/** A package version's API path: the name percent-encoded as one segment (`%40acme%2Fx`). */
export const packagePath = (name: string, version: string) =>
  `/api/packages/${encodeURIComponent(name)}/${encodeURIComponent(version)}`;

/** The highest installed version of a package (the list is sorted highest first). */
export const newestOf = (packages: readonly PackageEntry[], name: string) =>
  packages.find((p) => p.name === name)?.version;
