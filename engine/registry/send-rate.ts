import type { CredentialDefinition, JsonObject } from '@waymark/sdk';

/** The `maxPerSecond` every sending credential takes (API.md "Sending credentials"). */
const SEND_RATE_SCHEMA = {
  type: 'integer',
  minimum: 1,
  maximum: 100000,
  title: 'Messages per second at most',
  description: 'messages beyond it are held and go out in order as the rate allows',
};

/** A sender type's schema gains `maxPerSecond`, which the engine enforces; packages do not declare it. */
export function withSendRate(credential: CredentialDefinition): CredentialDefinition {
  const properties = (credential.schema as JsonObject | undefined)?.properties;
  if (!credential.sender || !properties || typeof properties !== 'object' || Array.isArray(properties)) {
    return credential;
  }
  return {
    ...credential,
    schema: { ...credential.schema, properties: { ...properties, maxPerSecond: SEND_RATE_SCHEMA } },
  };
}
