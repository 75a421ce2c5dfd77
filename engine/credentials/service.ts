import { type CredentialsService, type JsonObject, NodeError } from '@waymark/sdk';
import { isUuid } from '../db/ids.js';
import type { StepScope } from '../services/step-scope.js';
import { decryptJson } from './crypto.js';

/**
 * A credential of the step's workspace, decrypted, when `usable(type)` says a step may use it;
 * otherwise a `NodeError` with `refusal` — one message for "missing", "another workspace's" and
 * "not yours", so a node learns nothing about other credentials.
 */
export async function readCredential(
  scope: StepScope,
  credentialId: string,
  usable: (type: string) => boolean,
  refusal: string,
): Promise<{ type: string; data: JsonObject }> {
  const row = isUuid(credentialId)
    ? await scope.db
        .selectFrom('credentials')
        .select(['type', 'data_encrypted'])
        .where('workspace_id', '=', scope.workspaceId)
        .where('id', '=', credentialId)
        .executeTakeFirst()
    : undefined;
  if (!row || !usable(row.type)) throw new NodeError(refusal, { code: 'credential.missing' });
  try {
    return { type: row.type, data: decryptJson(scope.runtime.keys.credentials, row.data_encrypted) };
  } catch (error) {
    throw new NodeError(`credential ${credentialId} cannot be decrypted with this WAYMARK_SECRET_KEY`, {
      cause: error,
      code: 'credential.missing',
    });
  }
}

/** `ctx.credentials`: decrypts only credentials of the types the node declares. (Channels part.) */
export function createCredentialsService(scope: StepScope, allowedTypes: readonly string[]): CredentialsService {
  return {
    async get<T extends JsonObject = JsonObject>(credentialId: string): Promise<T> {
      const refusal = `credential ${credentialId} does not exist or is not usable by this node`;
      const { data } = await readCredential(scope, credentialId, (type) => allowedTypes.includes(type), refusal);
      return data as T;
    },
  };
}
