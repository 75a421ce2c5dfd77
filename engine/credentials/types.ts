/**
 * The shapes of the credential answers (server/README.md "Credential types") apart from the
 * routes that build them: no runtime imports, so the editor reads the same types (type-only)
 * without the engine's database or crypto code. A credential's data is never in an answer.
 */
import type { JsonObject } from '@waymark/sdk';

/** A credential as `GET /api/credentials` lists it. */
export interface CredentialView {
  id: string;
  name: string;
  type: string;
  createdAt: string;
  /** The channel a sending credential sends (`email.send` / `sms.send` accept it), else null. */
  channel: string | null;
}

/** A credential type as `GET /api/credential-types` lists it. */
export interface CredentialTypeView {
  type: string;
  title: string;
  description?: string;
  package: { name: string; version: string };
  /** The channel a credential of this type sends, else null. */
  channel: string | null;
  /** Whether a credential of this type verifies its provider's event webhook. */
  events: boolean;
  /** The JSON Schema a credential's data must fit. */
  schema: JsonObject;
  /** JSON pointers into the data of its secret fields. */
  secrets: string[];
}
