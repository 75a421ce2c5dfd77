import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { isUuid } from '../db/ids.js';

/**
 * The steps among `stepIds` whose token took a split's `control` output, itself or through
 * any step before it (forks included): such a token is a holdout and sends no message. Walks
 * each step's parent chain, at most as deep as a path may be.
 */
export async function holdoutsAmong(db: Kysely<Database>, stepIds: readonly string[]): Promise<Set<string>> {
  const ids = stepIds.filter(isUuid);
  if (ids.length === 0) return new Set();
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
    where c.output ->> 'variant' = 'control'
      and v.graph -> 'nodes' @> jsonb_build_array(jsonb_build_object('id', c.node_id, 'type', 'core.split'))
  `.execute(db);
  return new Set(rows.map((r) => r.start));
}
