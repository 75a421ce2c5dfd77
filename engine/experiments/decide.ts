import { ValidationError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { type AuditEntry, appendAudit, SYSTEM_ACTOR } from '../db/audit.js';
import type { Database } from '../db/database.js';
import type { WithinChange } from '../db/transaction.js';
import { lockJourney } from '../journeys/edit.js';
import { SPLIT_TYPE, startTestPeriods } from './decisions.js';
import { decisionFigures, nodeExperiment, testPeriodEnd } from './experiments.js';
import { decideWinner } from './figures.js';
import type { Decision, Experiment } from './types.js';

type NewDecision = Omit<Decision, 'at' | 'clearedAt'>;

/** Serialises decisions about one split (overrides, resets and the automatic decision). */
const lockSplit = (trx: Kysely<Database>, journeyId: string, nodeId: string) =>
  sql`select pg_advisory_xact_lock(hashtextextended(${`split:${journeyId}:${nodeId}`}::text, 0))`.execute(trx);

/**
 * A person's change to a split's decision: an archived journey is read, never changed (409
 * `conflict`, as every other change to it), and a publish in progress finishes first.
 */
async function lockChange(trx: Kysely<Database>, workspaceId: string, journeyId: string, nodeId: string) {
  await lockJourney(trx, workspaceId, journeyId);
  await lockSplit(trx, journeyId, nodeId);
}

/** A decision a change replaced or cleared, as its audit entry names it (null: none stood). */
export type Standing = Pick<Decision, 'kind' | 'variant'> | null;

/** Clears the split's standing decision; returns it, or null when none stood. */
async function clearStanding(trx: Kysely<Database>, journeyId: string, nodeId: string): Promise<Standing> {
  const { rows } = await sql<Pick<Decision, 'kind' | 'variant'>>`
    update split_decisions set cleared_at = now()
    where journey_id = ${journeyId} and node_id = ${nodeId} and cleared_at is null
    returning kind, variant`.execute(trx);
  return rows[0] ?? null;
}

async function insertDecision(
  trx: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  nodeId: string,
  d: NewDecision,
) {
  await sql`
    insert into split_decisions (workspace_id, journey_id, node_id, kind, variant, method, metric, confidence, p_value, reason, figures)
    values (${workspaceId}, ${journeyId}, ${nodeId}, ${d.kind}, ${d.variant}, ${d.method},
      ${d.metric}, ${d.confidence}, ${d.pValue}, ${d.reason ?? null}, ${JSON.stringify(d.figures)}::jsonb)
  `.execute(trx);
}

/**
 * `POST …/nodes/:nodeId/winner`: every later contact reaching the split takes `variant`
 * (any key of the node, control included); replaces any standing decision.
 *
 * @example
 * await overrideWinner(db, workspaceId, journeyId, 'ab', 'b') // { status: 'override', decision: { kind: 'override', … } }
 */
export async function overrideWinner(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  nodeId: string,
  variant: string,
  /** Runs in the override's transaction once it is stored, the split locked, with the decision it replaced. */
  onPicked?: WithinChange<Standing>,
): Promise<Experiment> {
  const before = await nodeExperiment(db, workspaceId, journeyId, nodeId);
  if (!before.variants.some((v) => v.key === variant)) {
    const keys = before.variants.map((v) => v.key).join(', ');
    throw new ValidationError('the request body is invalid', [
      { path: '/variant', message: `body/variant must be one of the variant keys of node "${nodeId}": ${keys}` },
    ]);
  }
  await db.transaction().execute(async (trx) => {
    await lockChange(trx, workspaceId, journeyId, nodeId);
    const replaced = await clearStanding(trx, journeyId, nodeId);
    await insertDecision(trx, workspaceId, journeyId, nodeId, {
      kind: 'override',
      variant,
      method: 'manual',
      metric: before.metric,
      confidence: before.confidence,
      pValue: null,
      figures: decisionFigures(before),
    });
    await onPicked?.(trx, replaced);
  });
  return nodeExperiment(db, workspaceId, journeyId, nodeId);
}

/**
 * `DELETE …/nodes/:nodeId/winner`: clears the standing decision and starts a new test
 * period now; with none standing it changes nothing.
 */
export async function clearWinner(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  nodeId: string,
  /** Runs in the reset's transaction, the split locked, with the decision cleared (null: none stood). */
  onCleared?: WithinChange<Standing>,
): Promise<Experiment> {
  await nodeExperiment(db, workspaceId, journeyId, nodeId);
  await db.transaction().execute(async (trx) => {
    await lockChange(trx, workspaceId, journeyId, nodeId);
    const cleared = await clearStanding(trx, journeyId, nodeId);
    if (cleared) await startTestPeriods(trx, journeyId, [nodeId]);
    await onCleared?.(trx, cleared);
  });
  return nodeExperiment(db, workspaceId, journeyId, nodeId);
}

/**
 * `journey.winner_decided`, the audit entry of an automatic decision, written in its
 * transaction: no request made it, so Waymark itself is its actor.
 */
const decidedEntry = (workspaceId: string, journeyId: string, nodeId: string, d: NewDecision): AuditEntry => ({
  workspaceId,
  actor: SYSTEM_ACTOR,
  action: 'journey.winner_decided',
  objectType: 'journey',
  objectId: journeyId,
  details: {
    nodeId,
    kind: d.kind,
    variant: d.variant,
    metric: d.metric,
    confidence: d.confidence,
    pValue: d.pValue,
    ...(d.reason ? { reason: d.reason } : {}),
  },
});

/**
 * The automatic decisions due at `now`: each split with a `winner` param whose test period
 * has ended and no standing decision is decided once, from its figures then (a winner, or
 * no winner with the reason), with its audit entry. Run by the worker's heartbeat. Returns how
 * many were decided.
 */
export async function decideDueExperiments(db: Kysely<Database>, now: Date): Promise<number> {
  // Only splits whose newest version has a `winner` param are read, and their figures only once
  // the test period has ended: every heartbeat reading every split's figures made the heartbeat
  // grow with the splits that decide nothing.
  const { rows } = await sql<{
    workspace_id: string;
    journey_id: string;
    node_id: string;
    started_at: Date;
    after: string;
  }>`
    select t.workspace_id, t.journey_id, t.node_id, t.started_at, n -> 'params' -> 'winner' ->> 'after' as after
    from split_tests t
    join journeys j on j.id = t.journey_id and j.published_version is not null and j.status <> 'archived'
    join journey_versions v on v.journey_id = j.id and v.version = j.published_version
    cross join lateral jsonb_array_elements(v.graph -> 'nodes') n
    where n ->> 'id' = t.node_id and n ->> 'type' = ${SPLIT_TYPE}
      and jsonb_typeof(n -> 'params' -> 'winner' -> 'after') = 'string'
      and not exists (select 1 from split_decisions d
        where d.journey_id = t.journey_id and d.node_id = t.node_id and d.cleared_at is null)
  `.execute(db);
  let decided = 0;
  for (const row of rows) {
    const ends = testPeriodEnd(row.started_at, row.after);
    if (!ends || ends > now) continue;
    const experiment = await nodeExperiment(db, row.workspace_id, row.journey_id, row.node_id).catch(() => null);
    const winner = experiment?.winner;
    if (!experiment || !winner || !experiment.endsAt || new Date(experiment.endsAt) > now) continue;
    const outcome = decideWinner(experiment.variants, winner.minPerVariant, winner.confidence);
    const wrote = await db.transaction().execute(async (trx) => {
      await lockSplit(trx, row.journey_id, row.node_id);
      // The figures were read before the lock: a decision made, or a new test period started
      // (a DELETE, a publish clearing one) since then leaves this one undecided. startedAt is
      // the stored time to the millisecond; a new period starts at least a test period later.
      const { rows: due } = await sql`
        select 1 from split_tests t
        where t.journey_id = ${row.journey_id} and t.node_id = ${row.node_id}
          and t.started_at < ${experiment.startedAt}::timestamptz + interval '1 second'
          and not exists (select 1 from split_decisions d
            where d.journey_id = t.journey_id and d.node_id = t.node_id and d.cleared_at is null)`.execute(trx);
      if (!due.length) return false;
      const decision: NewDecision = {
        kind: outcome.kind,
        variant: outcome.kind === 'winner' ? outcome.variant : null,
        method: 'two-proportion-z',
        metric: experiment.metric,
        confidence: winner.confidence,
        pValue: outcome.pValue,
        ...(outcome.kind === 'no-winner' ? { reason: outcome.reason } : {}),
        figures: decisionFigures(experiment),
      };
      await insertDecision(trx, row.workspace_id, row.journey_id, row.node_id, decision);
      await appendAudit(trx, decidedEntry(row.workspace_id, row.journey_id, row.node_id, decision));
      return true;
    });
    if (wrote) decided++;
  }
  return decided;
}
