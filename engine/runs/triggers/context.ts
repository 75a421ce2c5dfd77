import type { AnyNodeDefinition, CredentialsService, JsonObject, TriggerContext } from '@waymark/sdk';
import { readCredential } from '../../credentials/service.js';
import type { GraphNode } from '../../graph/types.js';
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
 * journey's node, and the engine's clock.
 */
export function triggerContext(
  runtime: Runtime,
  place: TriggerPlace,
  definition: AnyNodeDefinition,
): TriggerContext<JsonObject> {
  const allowed = definition.credentials ?? [];
  const scope = { db: runtime.db, workspaceId: place.workspaceId, runtime };
  const credentials: CredentialsService = {
    async get<T extends JsonObject = JsonObject>(credentialId: string): Promise<T> {
      const refusal = `credential ${credentialId} does not exist or is not usable by this node`;
      const { data } = await readCredential(scope, credentialId, (type) => allowed.includes(type), refusal);
      return data as T;
    },
  };
  return {
    params: place.node.params ?? {},
    credentials,
    log: runtime.logger.child({ journeyId: place.journeyId, nodeId: place.node.id, trigger: place.node.type }),
    now: () => runtime.clock.now(),
  };
}
