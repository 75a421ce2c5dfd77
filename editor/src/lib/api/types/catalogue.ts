/** The node catalogue and packages as the editor reads them (shared/API.md). */

import type { SearchHit } from '../../../../../engine/packages/entry-types.ts';
import type { CatalogueNode as EngineCatalogueNode } from '../../../../../engine/registry/catalogue-types.ts';
import type { JsonValue } from './json.ts';

/** A JSON Schema as the catalogue sends it; only the keywords the form reads are typed. */
export interface Schema {
  type?: string | string[];
  title?: string;
  description?: string;
  format?: string;
  credentialType?: string;
  /** A credential param that takes any credential sending this channel (`email`, `sms`). */
  credentialChannel?: string;
  enum?: JsonValue[];
  const?: JsonValue;
  default?: JsonValue;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: boolean | Schema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  oneOf?: Schema[];
  anyOf?: Schema[];
  [keyword: string]: unknown;
}

// What kind of node a type is, as the SDK defines it (type-only).
export type { NodeKind } from '../../../../../engine/sdk/src/define-node.ts';

/** A node of `GET /api/nodes`: the engine's, its params schema read as the form reads one. */
export type CatalogueNode = Omit<EngineCatalogueNode, 'params'> & { params: Schema };

// The package answers are typed once, in the engine (type-only: nothing of it is bundled).
export type { PackageEntry } from '../../../../../engine/packages/entry-types.ts';

/** One hit of `GET /api/packages/search`: the registry's hit and the versions installed of it. */
export type PackageHit = SearchHit & { installed: string[] };
