import type { JsonValue } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { isUuid } from '../db/ids.js';
import { SPLIT_TYPE } from './decisions.js';

/**
 * The split variant that is a holdout (NODES.md core.split): a token that took it, and every
 * token forked from it, sends no message. Live runs find such tokens among stored steps
 * (`holdoutsAmong`), test runs on the path they walk (`isHoldoutPath`): one rule, two readers.
 */
export const HOLDOUT_VARIANT = 'control';

/** Whether a step of a node of `type` that left `output` made its token a holdout. */
function tookHoldout(type: string | undefined, output: JsonValue | undefined): boolean {
  if (type !== SPLIT_TYPE || typeof output !== 'object' || output === null || Array.isArray(output)) return false;
  return output.variant === HOLDOUT_VARIANT;
}

/**
 * Whether a token is a holdout, from the steps on its path (their outputs by node id, as
 * `ctx.steps` shows them) and its graph's nodes.
 *
 * @example
 * const holdout = isHoldoutPath(version.nodes, token.path);
 */
export function isHoldoutPath(
  nodes: ReadonlyMap<string, { type: string }>,
  path: Readonly<Record<string, { output: JsonValue }>>,
): boolean {
  return Object.entries(path).some(([nodeId, step]) => tookHoldout(nodes.get(nodeId)?.type, step.output));
}

/**
 * The steps among `stepIds` whose token is a holdout, itself or through any step before it
 * (forks included). Walks each step's parent chain, at most as deep as a path may be.
 */
export async function holdoutsAmong(db: Kysely<Database>, stepIds: readonly string[]): Promise<Set<string>> {
  const ids = stepIds.filter(isUuid);
  if (ids.length === 0) return new Set();
  // Literals, not parameters: the statement's text, and so its prepared plan, stays one.
  const { rows } = await sql<{ start: string }>`
    with recursive chain as (
      select id as start, parent_step_id, journey_id, version, node_id, output, 0 as depth
      from steps where id = any(${ids}::uuid[])
      union all
      select c.start, s.parent_step_id, s.journey_id, s.version, s.node_id, s.output, c.depth + 1
      from steps s join chain c on s.id = c.parent_step_id where c.depth < 1000
    )
    select distinct c.start from chain c
    join journey_versions v on v.journey_id = c.journey_id and v.version = c.version
    where c.output ->> 'variant' = ${sql.lit(HOLDOUT_VARIANT)}
      and v.graph -> 'nodes' @> jsonb_build_array(jsonb_build_object('id', c.node_id, 'type', ${sql.lit(SPLIT_TYPE)}))
  `.execute(db);
  return new Set(rows.map((r) => r.start));
}
