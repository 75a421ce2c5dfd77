/**
 * The shapes of the package answers (contract packages.md) apart from the code that builds
 * them: no runtime imports, so the editor reads the same types (type-only) without the
 * registry's, the package store's or the database's code.
 */

/** A package as `GET /api/packages` lists it: what loaded, or why it did not. */
export interface PackageInfo {
  name: string;
  version: string;
  /** `builtin` (`@waymark/nodes-*`), `environment` (`WAYMARK_NODE_PACKAGES`) or `installed` (the API). */
  source: 'builtin' | 'environment' | 'installed';
  /** A built-in or environment package's package.json `description` (an installed one's is in its row). */
  description: string | null;
  nodes: string[];
  credentials: string[];
  error?: string;
}

/** A package as `GET /api/packages` lists it (contract packages.md). */
export interface PackageEntry extends PackageInfo {
  integrity?: string;
  installedAt?: string;
  dependencies?: Record<string, string>;
  usedBy?: { journeyId: string; journeyName: string; version: number }[];
  loadErrors?: { process: string; message: string; at: string }[];
}

/** One hit of the registry's search. */
export interface SearchHit {
  name: string;
  version: string;
  description: string | null;
}
