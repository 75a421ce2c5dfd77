import { type Kysely, sql } from 'kysely';
import { isUuid } from '../contacts/load.js';
import type { Database } from '../db/database.js';

/**
 * True when the step's token took a split's `control` output, itself or through any step
 * before it (forks included): such a token is a holdout and sends no message. Walks the
 * step's parent chain, at most as deep as a path may be.
 */
export async function inHoldout(db: Kysely<Database>, stepId: string): Promise<boolean> {
  if (!isUuid(stepId)) return false;
  const { rows } = await sql<{ hit: number }>`
    with recursive chain as (
      select id, parent_step_id, journey_id, version, node_id, output, 0 as depth from steps where id = ${stepId}::uuid
      union all
      select s.id, s.parent_step_id, s.journey_id, s.version, s.node_id, s.output, c.depth + 1
      from steps s join chain c on s.id = c.parent_step_id where c.depth < 1000
    )
    select 1 as hit from chain c
    join journey_versions v on v.journey_id = c.journey_id and v.version = c.version
    where c.output ->> 'variant' = 'control'
      and v.graph -> 'nodes' @> jsonb_build_array(jsonb_build_object('id', c.node_id, 'type', 'core.split'))
    limit 1
  `.execute(db);
  return rows.length > 0;
}
