import { NodeError, type PreparedMessage } from '@waymark/sdk';
import { isUuid } from '../contacts/load.js';
import { decryptJson } from '../credentials/crypto.js';
import { createHttpClient } from '../http/client.js';
import type { StepScope } from '../services/step-scope.js';

/**
 * Delivers a message through a sending credential: the `sender` of its type (API.md "Sending
 * credentials"), given the decrypted data, Waymark's HTTP client and the step's idempotency key.
 */
export async function sendThroughCredential(
  scope: StepScope,
  credentialId: string,
  channel: string,
  message: PreparedMessage,
): Promise<{ providerId?: string }> {
  const row = isUuid(credentialId)
    ? await scope.db
        .selectFrom('credentials')
        .select(['type', 'data_encrypted'])
        .where('id', '=', credentialId)
        .executeTakeFirst()
    : undefined;
  const sender = row ? scope.runtime.registry.credential(row.type)?.sender : undefined;
  if (!row || !sender || sender.channel !== channel) {
    throw new NodeError(`credential ${credentialId} does not exist or is no ${channel} sending credential`);
  }
  let data: ReturnType<typeof decryptJson>;
  try {
    data = decryptJson(scope.runtime.keys.credentials, row.data_encrypted);
  } catch (error) {
    throw new NodeError(`credential ${credentialId} cannot be decrypted with this WAYMARK_SECRET_KEY`, {
      cause: error,
    });
  }
  return sender.send(message, {
    data,
    http: createHttpClient(scope),
    idempotencyKey: scope.idempotencyKey,
    publicUrl: scope.runtime.config.publicUrl,
  });
}
