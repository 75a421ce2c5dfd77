import { type CredentialsService, type JsonObject, NodeError } from '@waymark/sdk';
import { isUuid } from '../contacts/load.js';
import type { StepScope } from '../services/step-scope.js';
import { decryptJson } from './crypto.js';

/** `ctx.credentials`: decrypts only credentials of the types the node declares. (Channels part.) */
export function createCredentialsService(scope: StepScope, allowedTypes: readonly string[]): CredentialsService {
  return {
    async get<T extends JsonObject = JsonObject>(credentialId: string): Promise<T> {
      const row = isUuid(credentialId)
        ? await scope.db
            .selectFrom('credentials')
            .select(['type', 'data_encrypted'])
            .where('workspace_id', '=', scope.workspaceId)
            .where('id', '=', credentialId)
            .executeTakeFirst()
        : undefined;
      // One message for "missing" and "not yours": a node learns nothing about other credentials.
      if (!row || !allowedTypes.includes(row.type)) {
        throw new NodeError(`credential ${credentialId} does not exist or is not usable by this node`);
      }
      try {
        return decryptJson(scope.runtime.keys.credentials, row.data_encrypted) as T;
      } catch (error) {
        throw new NodeError(`credential ${credentialId} cannot be decrypted with this WAYMARK_SECRET_KEY`, {
          cause: error,
        });
      }
    },
  };
}
