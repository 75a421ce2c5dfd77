import type { ColumnType } from 'kysely';

/** An installed node package version: its `npm pack` tarball and what it resolved to. */
export interface NodePackagesTable {
  name: string;
  version: string;
  /** `sha512-<base64>` of the tarball's bytes. */
  integrity: string;
  tarball: Buffer;
  manifest: ColumnType<Record<string, unknown>, string, string>;
  /** `{ "<name>": "<resolved version>" }`, every package under its node_modules. */
  dependencies: ColumnType<Record<string, string>, string | undefined, string>;
  installed_at: ColumnType<Date, string | undefined, never>;
}

/** One resolved dependency's tarball, stored with the package version that needs it. */
export interface NodePackageDependenciesTable {
  package_name: string;
  package_version: string;
  name: string;
  version: string;
  tarball: Buffer;
}

/** Why a running process could not load an installed version (`<host>:<pid>`). */
export interface NodePackageLoadErrorsTable {
  name: string;
  version: string;
  process: string;
  message: string;
  at: ColumnType<Date, string | undefined, string>;
  /** When the process last renewed the report (every resync); one not renewed for 30 s is of a dead process. */
  seen_at: ColumnType<Date, string | undefined, string>;
}

/** The workspace a package's name belongs to: only it installs and removes the name's versions. */
export interface NodePackageOwnersTable {
  name: string;
  workspace_id: string;
  /** The prefix its node and credential types are under (null: installed before migration 0073). */
  prefix: string | null;
}

export interface PackageTables {
  node_packages: NodePackagesTable;
  node_package_dependencies: NodePackageDependenciesTable;
  node_package_load_errors: NodePackageLoadErrorsTable;
  node_package_owners: NodePackageOwnersTable;
}
