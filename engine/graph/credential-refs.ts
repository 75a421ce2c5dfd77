import type { ErrorDetail } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { isUuid } from '../db/ids.js';
import type { NodeRegistry } from '../registry/registry.js';
import { valuesWithFormat } from './formatted-values.js';
import type { JourneyGraph } from './types.js';

/**
 * Checks that every credential a node's params name (`format: "credential"`) is stored, and
 * is of the schema's `credentialType` (or sends the `credentialChannel`) when it says one, in one query. Problems carry the
 * node id and the param's pointer. Ids that are no UUID are left to the params check.
 */
export async function credentialProblems(
  db: Kysely<Database>,
  workspaceId: string,
  graph: JourneyGraph,
  registry: NodeRegistry,
): Promise<ErrorDetail[]> {
  const refs = (graph.nodes ?? []).flatMap((node) => {
    const definition = registry.get(node.type, node.version)?.definition;
    if (!definition) return [];
    return valuesWithFormat(definition.params, node.params ?? {}, 'credential')
      .filter((ref) => typeof ref.value === 'string' && isUuid(ref.value))
      .map((ref) => ({
        nodeId: node.id,
        path: ref.path,
        id: (ref.value as string).toLowerCase(),
        type: ref.schema.credentialType,
        channel: ref.schema.credentialChannel,
      }));
  });
  if (refs.length === 0) return [];
  const stored = await db
    .selectFrom('credentials')
    .select(['id', 'type'])
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', [...new Set(refs.map((r) => r.id))])
    .execute();
  const typeOf = new Map(stored.map((c) => [c.id, c.type]));
  return refs.flatMap(({ nodeId, path, id, type, channel }): ErrorDetail[] => {
    const found = typeOf.get(id);
    if (found === undefined) return [{ nodeId, path, message: `${path} names credential ${id}, which does not exist` }];
    if (type && found !== type)
      return [{ nodeId, path, message: `${path} names a credential of type ${found}, where type ${type} is needed` }];
    if (channel && registry.credential(found)?.sender?.channel !== channel)
      return [{ nodeId, path, message: `${path} names a credential of type ${found}, which sends no ${channel}` }];
    return [];
  });
}
