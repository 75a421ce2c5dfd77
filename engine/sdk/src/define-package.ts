import type { AnyNodeDefinition } from './define-node.js';
import type { ErrorDetail } from './errors.js';
import type { JsonObject } from './json.js';
import type { CredentialEvents, CredentialSender } from './sending/providers.js';

/** A credential type: its data schema validates what users store through the API. */
export interface CredentialDefinition {
  /** `<package prefix>.<name>` */
  type: string;
  title: string;
  description?: string;
  /** JSON Schema of the credential's data. */
  schema: JsonObject;
  /**
   * What the schema cannot say is wrong with data that fits it (a PEM that does not parse, two
   * fields that disagree): problems whose `path` points into the data (`/snsCertificate`), or
   * none. Saving answers 400 `validation_failed` naming them. Synchronous, quick and pure.
   * Called for the built-in types and those of `WAYMARK_NODE_PACKAGES`, not for a package
   * installed through the API (its code runs only in its threads).
   */
  check?: (data: JsonObject) => readonly ErrorDetail[];
  /** Makes the type usable by `email.send` / `sms.send` (the engine adds `maxPerSecond` to its schema). */
  sender?: CredentialSender;
  /** Makes the type verify and read its provider's event webhook. */
  events?: CredentialEvents;
}

/** What a node package's default export is. */
export interface PackageDefinition {
  name: string;
  version: string;
  nodes: readonly AnyNodeDefinition[];
  credentials?: readonly CredentialDefinition[];
}

/**
 * Declares a credential type that nodes reference by id.
 *
 * @example
 * const apiKey = defineCredential({
 *   type: 'acme.api-key', title: 'Acme API key',
 *   schema: { type: 'object', properties: { key: { type: 'string', minLength: 10 } }, required: ['key'] },
 * });
 */
export function defineCredential(definition: CredentialDefinition): CredentialDefinition {
  return definition;
}

/**
 * Declares a node package: the default export of an npm package named in
 * `WAYMARK_NODE_PACKAGES`. Node and credential types must sit under one prefix of the package.
 *
 * @example
 * export default definePackage({ name: '@acme/waymark-nodes', version: '1.0.0', nodes: [shout], credentials: [apiKey] });
 */
export function definePackage(definition: PackageDefinition): PackageDefinition {
  return definition;
}
