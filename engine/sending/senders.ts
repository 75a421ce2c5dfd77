import type { JsonObject, PreparedMessage } from '@waymark/sdk';
import { readCredential } from '../credentials/service.js';
import { createHttpClient } from '../http/client.js';
import type { StepScope } from '../services/step-scope.js';

/** A sending credential of a channel, read (and decrypted) once for a send. */
export type SendingCredential = Awaited<ReturnType<typeof sendingCredential>>;

/** A sending credential of a channel, read for a step: its data, its secrets and its type's sender. */
export async function sendingCredential(scope: StepScope, credentialId: string, channel: string) {
  const senderOf = (type: string) => scope.runtime.registry.credential(type)?.sender;
  const refusal = `credential ${credentialId} does not exist or is no ${channel} sending credential`;
  const { type, data, secrets } = await readCredential(
    scope,
    credentialId,
    (t) => senderOf(t)?.channel === channel,
    refusal,
  );
  const sender = senderOf(type);
  if (!sender) throw new Error(`credential type ${type} lost its sender`);
  return { data, secrets, sender, maxPerSecond: sendRateOf(data) };
}

/** A sending credential's `maxPerSecond` as the engine enforces it, null when it sets none. */
export function sendRateOf(data: JsonObject): number | null {
  const rate = data.maxPerSecond;
  return typeof rate === 'number' && rate >= 1 ? Math.floor(rate) : null;
}

/**
 * Delivers a message through a sending credential: the `sender` of its type (API.md "Sending
 * credentials"), given the decrypted data, Waymark's HTTP client and the step's idempotency key.
 */
export async function sendThroughCredential(
  scope: StepScope,
  { data, sender }: SendingCredential,
  message: PreparedMessage,
): Promise<{ providerId?: string }> {
  return sender.send(message, {
    data,
    http: createHttpClient(scope),
    idempotencyKey: scope.idempotencyKey,
    publicUrl: scope.runtime.config.publicUrl,
  });
}
