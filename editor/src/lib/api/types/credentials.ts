/** Credentials as the editor reads them (shared/API.md). */

import type { Schema } from './catalogue.ts';

export interface Credential {
  id: string;
  name: string;
  type: string;
  createdAt: string;
  /** The channel a sending credential sends, else null. */
  channel: string | null;
}

/** A credential type as `GET /api/credential-types` lists it (server/README.md "Credential types"). */
export interface CredentialType {
  type: string;
  title: string;
  description?: string;
  package: { name: string; version: string };
  channel: string | null;
  /** Whether it verifies its provider's event webhook. */
  events: boolean;
  /** The JSON Schema its `data` must fit. */
  schema: Schema;
  /** JSON pointers into `data` of its secret fields. */
  secrets: string[];
}
