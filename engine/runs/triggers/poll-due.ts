import type { JsonValue } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Runtime } from '../../runtime.js';
import { paramsHash } from '../../segments/tick.js';
import { loadVersion } from '../versions.js';

/** A polling trigger's turn, taken by this process: until it is released, no other worker polls it. */
export interface ClaimedPoll {
  journeyId: string;
  workspaceId: string;
  nodeId: string;
  /** The published version whose node polls. */
  version: number;
  /** The turn's token: what it found is kept only while trigger_state still holds it. */
  claim: string;
  claimedAt: Date;
  /** The params' hash its state and seen keys were kept under. */
  paramsHash: string;
  state: JsonValue | null;
}

/**
 * How long a turn is held before its poll's own limit is known: a worker that dies with it
 * leaves the poll due again this much later.
 */
export const CLAIM_LEASE_MS = 120_000;

/** No journey's trigger is polled more often than this (SDK README "Triggers"). */
export const MINIMUM_EVERY_MS = 60_000;

/**
 * Finds the polling triggers of the live journeys whose published version has not been looked
 * at yet (published, republished or live again since the last look) and marks their rows in
 * trigger_state with that version: a new node is due at once, one whose params changed too
 * (its poll forgets its state), another keeps its due time. A node whose poll is running (its
 * turn taken: `poll_claim`) keeps its lease whatever changed: the turn is the journey node's,
 * not its version's, so the new params are not polled beside the old ones; `endTurn` makes
 * them due. A version is remembered as looked at only when every node's definition was found
 * (a package not loaded yet is looked for again).
 */
export async function findPolls(runtime: Runtime): Promise<void> {
  const { rows: journeys } = await sql<{ id: string; published_version: number }>`
    select j.id, j.published_version from journeys j
    left join poll_scans s on s.journey_id = j.id
    where j.status = 'live' and j.published_version is not null
      and s.version is distinct from j.published_version`.execute(runtime.db);
  for (const journey of journeys) {
    const version = await loadVersion(runtime.db, journey.id, journey.published_version);
    if (!version) continue;
    const polling: { nodeId: string; hash: string }[] = [];
    let complete = true;
    for (const node of version.nodes.values()) {
      const definition = runtime.registry.get(node.type, node.version, version.packages)?.definition;
      if (!definition) complete = false;
      else if (definition.kind === 'trigger' && definition.poll)
        polling.push({ nodeId: node.id, hash: paramsHash(node.type, node.params ?? {}) });
    }
    await runtime.db.transaction().execute(async (trx) => {
      for (const { nodeId, hash } of polling)
        await sql`insert into trigger_state (journey_id, node_id, params_hash, poll_version)
          values (${journey.id}, ${nodeId}, ${hash}, ${version.version})
          on conflict (journey_id, node_id) do update set poll_version = excluded.poll_version,
            next_at = case when trigger_state.params_hash = excluded.params_hash
              or trigger_state.poll_claim is not null then trigger_state.next_at end`.execute(trx);
      if (complete)
        await sql`insert into poll_scans (journey_id, version) values (${journey.id}, ${version.version})
          on conflict (journey_id) do update set version = excluded.version`.execute(trx);
    });
  }
}

/**
 * Takes the turns of up to `max` polls that are due at `now` (a live journey's, of its
 * published version), in one statement: rows another worker is taking are skipped, and each
 * taken is not due again until its lease has passed.
 */
export async function claimDue(db: Kysely<Database>, now: Date, max: number): Promise<ClaimedPoll[]> {
  if (max <= 0) return [];
  const lease = new Date(now.getTime() + CLAIM_LEASE_MS);
  const { rows } = await sql<{
    journey_id: string;
    workspace_id: string;
    node_id: string;
    poll_version: number;
    poll_claim: string;
    params_hash: string;
    poll_state: JsonValue | null;
  }>`
    with due as (
      select s.journey_id, s.node_id from trigger_state s
      join journeys j on j.id = s.journey_id
      where s.poll_version is not null and (s.next_at is null or s.next_at <= ${now})
        and j.status = 'live' and j.published_version = s.poll_version
      order by s.next_at nulls first
      limit ${max}
      for update of s skip locked
    )
    update trigger_state s set poll_claim = gen_random_uuid(), last_at = ${now}, next_at = ${lease}
    from due, journeys j
    where s.journey_id = due.journey_id and s.node_id = due.node_id and j.id = s.journey_id
    returning s.journey_id, j.workspace_id, s.node_id, s.poll_version, s.poll_claim, s.params_hash, s.poll_state`.execute(
    db,
  );
  return rows.map((r) => ({
    journeyId: r.journey_id,
    workspaceId: r.workspace_id,
    nodeId: r.node_id,
    version: r.poll_version,
    claim: r.poll_claim,
    claimedAt: now,
    paramsHash: r.params_hash,
    state: r.poll_state,
  }));
}

/** The row of a turn still held (locked for the transaction), or null when another worker took it since. */
export async function holdTurn(trx: Kysely<Database>, p: ClaimedPoll): Promise<boolean> {
  const { rows } = await sql`select 1 from trigger_state
    where journey_id = ${p.journeyId} and node_id = ${p.nodeId} and poll_claim = ${p.claim} for update`.execute(trx);
  return rows.length > 0;
}

/**
 * Keeps the turn for `leaseMs` from when it was taken (its poll's limit is known), and, when
 * the node's params changed since its state was kept (`hash`), forgets that state and the keys
 * it saw. False when the turn was lost.
 */
export async function startTurn(db: Kysely<Database>, p: ClaimedPoll, leaseMs: number, hash: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await holdTurn(trx, p))) return false;
    const changed = hash !== p.paramsHash;
    if (changed)
      await trx
        .deleteFrom('trigger_seen_keys')
        .where('journey_id', '=', p.journeyId)
        .where('node_id', '=', p.nodeId)
        .execute();
    await sql`update trigger_state set next_at = ${new Date(p.claimedAt.getTime() + leaseMs)}
      ${changed ? sql`, params_hash = ${hash}, poll_state = null` : sql``}
      where journey_id = ${p.journeyId} and node_id = ${p.nodeId}`.execute(trx);
    return true;
  });
}

/**
 * Gives the turn back: the poll is next due at `nextAt` (unless another worker took it since).
 * When the journey was republished while it ran (the row names another version), its next
 * version's poll is due as soon as this one's minimum interval allows, at the latest at `nextAt`:
 * the republish waited for this poll to end (`findPolls`), not for its every.
 */
export async function endTurn(db: Kysely<Database>, p: ClaimedPoll, nextAt: Date): Promise<void> {
  const soonest = new Date(Math.min(nextAt.getTime(), p.claimedAt.getTime() + MINIMUM_EVERY_MS));
  await sql`update trigger_state set poll_claim = null,
      next_at = case when poll_version = ${p.version} then ${nextAt}::timestamptz else ${soonest}::timestamptz end
    where journey_id = ${p.journeyId} and node_id = ${p.nodeId} and poll_claim = ${p.claim}`.execute(db);
}

/** How long a turn that could not be given back waits before the next try, at first and at most. */
const GIVE_BACK_FIRST_MS = 250;
const GIVE_BACK_MAX_MS = 5_000;

/**
 * `endTurn`, tried again while the database refuses it (gone away a moment, a lock timeout),
 * so that the trigger is polled again at `nextAt` once the database is back: a turn not given
 * back stays held until its lease has passed (minutes). Tries until the write succeeds, the
 * lease ends (`leaseEnd` on `now`'s clock: past it the poll is due again anyway, and the write
 * would change nothing) or `signal` aborts (the worker stopping); the last failure is thrown.
 */
export async function giveBackTurn(
  db: Kysely<Database>,
  p: ClaimedPoll,
  nextAt: Date,
  retry: { leaseEnd: Date; now: () => Date; signal?: AbortSignal },
): Promise<void> {
  for (let waitMs = GIVE_BACK_FIRST_MS; ; waitMs = Math.min(2 * waitMs, GIVE_BACK_MAX_MS)) {
    try {
      return await endTurn(db, p, nextAt);
    } catch (error) {
      const left = retry.leaseEnd.getTime() - retry.now().getTime();
      if (left <= waitMs || retry.signal?.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
