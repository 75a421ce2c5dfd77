import type { AnyNodeDefinition, CredentialsService, JsonObject, TriggerContext } from '@waymark/sdk';
import { readCredential } from '../../credentials/service.js';
import { StepSecrets } from '../../credentials/step-secrets.js';
import type { GraphNode } from '../../graph/types.js';
import { StepLogger } from '../../observability/step-logger.js';
import type { Runtime } from '../../runtime.js';

/** The journey trigger a package trigger's function is called for. */
export interface TriggerPlace {
  workspaceId: string;
  journeyId: string;
  node: GraphNode;
}

/**
 * The `ctx` of a package trigger's `webhook.handle` or `poll.run` (SDK README "Triggers"): the
 * node's params, the credentials of its workspace of the types the node declares (as a step
 * reads them: one refusal for a missing, foreign or undeclared one), a logger bound to the
 * journey's node, and the engine's clock; with the secrets of the credentials it read, hidden
 * from its log lines and, by the caller, from what the call leaves (SDK README "Credentials").
 */
export function triggerContext(
  runtime: Runtime,
  place: TriggerPlace,
  definition: AnyNodeDefinition,
): { ctx: TriggerContext<JsonObject>; secrets: StepSecrets } {
  const allowed = definition.credentials ?? [];
  const scope = { db: runtime.db, workspaceId: place.workspaceId, runtime };
  const secrets = new StepSecrets();
  const credentials: CredentialsService = {
    async get<T extends JsonObject = JsonObject>(credentialId: string): Promise<T> {
      const refusal = `credential ${credentialId} does not exist or is not usable by this node`;
      const read = await readCredential(scope, credentialId, (type) => allowed.includes(type), refusal);
      secrets.keep(read.secrets);
      return read.data as T;
    },
  };
  const fields = { journeyId: place.journeyId, nodeId: place.node.id, trigger: place.node.type };
  const ctx = {
    params: place.node.params ?? {},
    credentials,
    log: new StepLogger(runtime.logger, () => fields, secrets),
    now: () => runtime.clock.now(),
  };
  return { ctx, secrets };
}
