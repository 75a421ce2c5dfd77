import type { ErrorDetail } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { NodeRegistry } from '../registry/registry.js';
import { computedProblems } from './computed-refs.js';
import { credentialProblems } from './credential-refs.js';
import { templateProblems } from './template-refs.js';
import type { JourneyGraph } from './types.js';
import { validateGraph } from './validate.js';

/**
 * What keeps a graph itself from being published or test-run: the rules of `validateGraph`,
 * then the credentials, email templates and computed attributes its params name (which
 * needs the database). A draft meets more than this (journeys/draft-check.ts).
 *
 * @example
 * const errors = await graphProblems(trx, workspaceId, draft, runtime.registry);
 */
export async function graphProblems(
  db: Kysely<Database>,
  workspaceId: string,
  graph: JourneyGraph,
  registry: NodeRegistry,
): Promise<ErrorDetail[]> {
  return [
    ...validateGraph(graph, registry),
    ...(await credentialProblems(db, workspaceId, graph, registry)),
    ...(await templateProblems(db, workspaceId, graph, registry)),
    ...(await computedProblems(db, workspaceId, graph, registry)),
  ];
}
