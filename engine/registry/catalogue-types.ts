/**
 * The shape of the node catalogue (`GET /api/nodes`, API.md "Node catalogue and packages")
 * apart from the registry that holds the definitions: no runtime imports, so the editor reads
 * the same type (type-only) without the engine's code.
 */
import type { AnyNodeDefinition } from '@waymark/sdk';

/** A node type at one version as the palette offers it: its definition's plain fields. */
export type CatalogueNode = Pick<
  AnyNodeDefinition,
  'type' | 'version' | 'kind' | 'title' | 'description' | 'category' | 'icon' | 'summary' | 'params'
> & {
  /** Null when computed from the params. */
  outputs: string[] | null;
  credentials: string[];
  /** A trigger whose runs start from calls to `POST /hooks/<journeyId>/<nodeId>`. */
  webhook?: boolean;
  /** `versions`: every installed version defining this type@version, highest first. */
  package: { name: string; version: string; versions: string[] };
};
