import type { ErrorDetail } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { NodeRegistry } from '../registry/registry.js';
import { valuesWithFormat } from './formatted-values.js';
import type { JourneyGraph } from './types.js';

/**
 * Checks that every email template a node's params name (`format: "email-template"`) is
 * stored, and at the `templateVersion` beside it when one is given, in one query. Problems
 * carry the node id and the param's pointer (`/template` or `/templateVersion`).
 */
export async function templateProblems(
  db: Kysely<Database>,
  workspaceId: string,
  graph: JourneyGraph,
  registry: NodeRegistry,
): Promise<ErrorDetail[]> {
  const refs = (graph.nodes ?? []).flatMap((node) => {
    const definition = registry.get(node.type, node.version)?.definition;
    if (!definition) return [];
    const params = (node.params ?? {}) as Record<string, unknown>;
    return valuesWithFormat(definition.params, params, 'email-template')
      .filter((ref) => typeof ref.value === 'string')
      .map((ref) => {
        const version = ref.path === '/template' ? params.templateVersion : undefined;
        return {
          nodeId: node.id,
          path: ref.path,
          id: ref.value as string,
          version: typeof version === 'number' ? version : null,
        };
      });
  });
  if (refs.length === 0) return [];
  const stored = await db
    .selectFrom('template_versions')
    .select(['template_id', 'version'])
    .where('workspace_id', '=', workspaceId)
    .where('template_id', 'in', [...new Set(refs.map((r) => r.id))])
    .execute();
  const versions = new Map<string, Set<number>>();
  for (const v of stored) versions.set(v.template_id, (versions.get(v.template_id) ?? new Set()).add(v.version));
  return refs.flatMap(({ nodeId, path, id, version }): ErrorDetail[] => {
    const found = versions.get(id);
    if (!found) return [{ nodeId, path, message: `${path} names template ${id}, which does not exist` }];
    if (version !== null && !found.has(version))
      return [{ nodeId, path: '/templateVersion', message: `template ${id} has no version ${version}` }];
    return [];
  });
}
