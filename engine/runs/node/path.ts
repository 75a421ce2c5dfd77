import type { JsonValue } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { dictionary } from '../../graph/dictionary.js';
import type { RunRow } from './context.js';

export type PathRow = { node_id: string; output: JsonValue | null; parent_step_id: string | null };

/**
 * The steps on the paths of tokens whose last step before them is each of `leafIds` (a step's
 * parent), from the trigger on, in one query; by leaf id, for `pathFromRows`.
 */
export async function loadPaths(db: Kysely<Database>, leafIds: readonly string[]): Promise<Map<string, PathRow[]>> {
  if (leafIds.length === 0) return new Map();
  // A chain per leaf, each link read by key: one recursive query over all the leaves at once
  // may be planned as a hash join over every step.
  const { rows } = await sql<{ leaf: string; path: PathRow[] }>`
    select l.leaf, (
      with recursive chain as (
        select id, parent_step_id, node_id, output, 0 as depth from steps where id = l.leaf
        union all
        select s.id, s.parent_step_id, s.node_id, s.output, c.depth + 1
        from steps s join chain c on s.id = c.parent_step_id where c.depth < 1000
      )
      select coalesce(json_agg(json_build_object('node_id', node_id, 'output', output, 'parent_step_id', parent_step_id)
        order by depth desc), '[]') from chain) as path
    from unnest(${[...leafIds]}::uuid[]) as l(leaf)`.execute(db);
  return new Map(rows.map((r) => [r.leaf, r.path]));
}

/** Outputs of the steps on a token's path, by node id, from the rows `loadPaths` read. */
export function pathFromRows(run: RunRow, rows: readonly PathRow[] | undefined): Record<string, { output: JsonValue }> {
  // By node id, which the journey's author names: `__proto__` is a key like any other.
  const steps = dictionary<{ output: JsonValue }>();
  for (const row of rows ?? []) {
    // The trigger step keeps no copy of the payload: it is the run's trigger.
    steps[row.node_id] = { output: row.parent_step_id === null ? run.trigger : (row.output ?? null) };
  }
  return steps;
}

/** Outputs of the steps on a token's path (its parent chain), by node id. */
export async function pathOutputs(
  db: Kysely<Database>,
  run: RunRow,
  parentStepId: string | null,
): Promise<Record<string, { output: JsonValue }>> {
  if (!parentStepId) return {};
  return pathFromRows(run, (await loadPaths(db, [parentStepId])).get(parentStepId));
}
