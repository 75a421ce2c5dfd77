import type { ErrorDetail } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { goalProblems } from '../experiments/goal-problems.js';
import { graphProblems } from '../graph/problems.js';
import type { JourneyGraph, JourneySettings } from '../graph/types.js';
import type { NodeRegistry } from '../registry/registry.js';
import { journeyNotFound } from './errors.js';

/** A journey's draft as stored. */
export interface Draft {
  graph: JourneyGraph;
  settings: Partial<JourneySettings> | null;
}

/** What a publish of a draft would meet: every problem that refuses it, and the package versions it would pin. */
export interface DraftCheck {
  problems: ErrorDetail[];
  /** For each installed package the nodes come from, the version a publish pins (`{ name: version }`). */
  pins: Record<string, string>;
}

/** A journey's draft; not_found for an unknown id. */
export async function readDraft(db: Kysely<Database>, workspaceId: string, id: string): Promise<Draft> {
  const row = await db
    .selectFrom('journeys')
    .select(['draft_graph', 'draft_settings'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw journeyNotFound(id);
  return { graph: row.draft_graph, settings: row.draft_settings };
}

/**
 * The one check of a draft that validate, test runs and publish share, so none of them
 * accepts a draft another refuses: the graph's rules, the goal a split's winner needs, and
 * the package pins (API.md "Journeys": the highest installed version of each package that
 * defines every `type@version` of it used; none → a problem on each node naming what is missing). `gone`: versions
 * found removed since this process loaded them (`name@version`), never pinned.
 *
 * @example
 * const { problems, pins } = await checkDraft(db, runtime.registry, workspaceId, draft);
 */
export async function checkDraft(
  db: Kysely<Database>,
  registry: NodeRegistry,
  workspaceId: string,
  draft: Draft,
  gone?: ReadonlySet<string>,
): Promise<DraftCheck> {
  const { pins, unpinned } = registry.pinsFor(draft.graph.nodes, gone);
  return {
    problems: [
      ...(await graphProblems(db, workspaceId, draft.graph, registry)),
      ...goalProblems(draft.graph, draft.settings),
      ...unpinned,
    ],
    pins,
  };
}

/** The problems that would keep a journey's draft from being published (empty: none). */
export async function validateDraft(
  db: Kysely<Database>,
  registry: NodeRegistry,
  workspaceId: string,
  id: string,
): Promise<ErrorDetail[]> {
  const { problems } = await checkDraft(db, registry, workspaceId, await readDraft(db, workspaceId, id));
  return problems;
}
