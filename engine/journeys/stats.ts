import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { type EntryStats, entryStats } from '../runs/entry/stats.js';
import { journeyStats } from '../runs/stats.js';
import type { JourneyStats } from '../runs/stats-types.js';
import { getVersion, publishedVersionOf } from './versions.js';

/**
 * A journey's per-node stats (one version, or all together), after checking that the
 * journey and the version exist. Nodes of the version (the newest when none is named) that
 * no token reached yet are listed with zeros, so a canvas can label every node. `entries`
 * counts the whole journey's entries, whatever the version.
 */
export async function journeyStatsFor(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  version?: number,
): Promise<JourneyStats & { entries: EntryStats }> {
  const shown = version ?? (await publishedVersionOf(db, workspaceId, journeyId));
  const graph = shown ? (await getVersion(db, workspaceId, journeyId, shown)).graph : null;
  const stats = await journeyStats(db, journeyId, version);
  for (const node of graph?.nodes ?? []) {
    stats.nodes[node.id] ??= { entered: 0, completed: 0, failed: 0, waiting: 0 };
  }
  return { ...stats, entries: await entryStats(db, journeyId) };
}
