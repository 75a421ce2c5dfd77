import { type CredentialsService, type JsonObject, NodeError } from '@waymark/sdk';
import { isUuid } from '../db/ids.js';
import type { StepScope } from '../services/step-scope.js';
import { decryptJson } from './crypto.js';
import { credentialSecrets } from './secret-fields.js';

/**
 * A credential of the step's workspace, decrypted, with the strings its type declares secret
 * (`credentialSecrets`), when `usable(type)` says a step may use it; otherwise a `NodeError`
 * with `refusal` — one message for "missing", "another workspace's" and "not yours", so a node
 * learns nothing about other credentials.
 */
export async function readCredential(
  scope: Pick<StepScope, 'db' | 'workspaceId' | 'runtime'>,
  credentialId: string,
  usable: (type: string) => boolean,
  refusal: string,
): Promise<{ type: string; data: JsonObject; secrets: string[] }> {
  const row = isUuid(credentialId)
    ? await scope.db
        .selectFrom('credentials')
        .select(['type', 'data_encrypted'])
        .where('workspace_id', '=', scope.workspaceId)
        .where('id', '=', credentialId)
        .executeTakeFirst()
    : undefined;
  if (!row || !usable(row.type)) throw new NodeError(refusal, { code: 'credential.missing' });
  let data: JsonObject;
  try {
    data = decryptJson(scope.runtime.keys.credentials, row.data_encrypted);
  } catch (error) {
    throw new NodeError(`credential ${credentialId} cannot be decrypted with this WAYMARK_SECRET_KEY`, {
      cause: error,
      code: 'credential.missing',
    });
  }
  return {
    type: row.type,
    data,
    secrets: credentialSecrets(scope.runtime.registry.credential(row.type)?.schema, data),
  };
}

/**
 * `ctx.credentials`: decrypts only credentials of the types the node declares, keeping the
 * secrets of each it returns as the step's (`scope.secrets`). (Channels part.)
 */
export function createCredentialsService(scope: StepScope, allowedTypes: readonly string[]): CredentialsService {
  return {
    async get<T extends JsonObject = JsonObject>(credentialId: string): Promise<T> {
      const refusal = `credential ${credentialId} does not exist or is not usable by this node`;
      const { data, secrets } = await readCredential(
        scope,
        credentialId,
        (type) => allowedTypes.includes(type),
        refusal,
      );
      scope.secrets?.keep(secrets);
      return data as T;
    },
  };
}
