import { createHash } from 'node:crypto';
import type { Task } from 'graphile-worker';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { GraphNode } from '../graph/types.js';
import type { Runtime } from '../runtime.js';
import { type Evaluation, evaluateDate, evaluateSchedule, evaluateSegment, type TriggerNode } from './entry.js';

/** The graphile-worker task that evaluates segment, schedule and date triggers; it re-adds itself. */
export const TRIGGERS_TASK = 'waymark.triggers';
const TYPES = new Set(['core.segment', 'core.schedule', 'core.date']);
// Date triggers scan contacts' date attributes; every 10 s keeps `at` on time without a scan a second.
const DATE_EVERY_MS = 10_000;

async function liveTriggers(db: Kysely<Database>): Promise<TriggerNode[]> {
  const exists = await sql<{ ok: boolean }>`select to_regclass('public.journey_versions') is not null as ok`.execute(
    db,
  );
  if (!exists.rows[0]?.ok) return [];
  const { rows } = await sql<{
    journey_id: string;
    workspace_id: string;
    version: number;
    graph: { nodes: GraphNode[] };
  }>`
    select j.id as journey_id, j.workspace_id, v.version, v.graph from journeys j
    join journey_versions v on v.journey_id = j.id and v.version = j.published_version
    where j.status = 'live'`.execute(db);
  return rows.flatMap((r) =>
    (r.graph.nodes ?? [])
      .filter((n) => TYPES.has(n.type))
      .map((n) => ({
        journeyId: r.journey_id,
        workspaceId: r.workspace_id,
        version: r.version,
        nodeId: n.id,
        type: n.type as TriggerNode['type'],
        params: n.params ?? {},
      })),
  );
}

const hashOf = (t: TriggerNode) =>
  createHash('sha256')
    .update(JSON.stringify([t.type, t.params]))
    .digest('hex');

async function evaluateOne(db: Kysely<Database>, t: TriggerNode): Promise<number> {
  return db.transaction().execute(async (trx) => {
    // One evaluator per trigger at a time, across worker processes.
    const { rows } = await sql<{ params_hash: string; last_at: Date | null; next_at: Date | null }>`
      select params_hash, last_at, next_at from trigger_state
      where journey_id = ${t.journeyId} and node_id = ${t.nodeId} for update skip locked`.execute(trx);
    const state = rows[0];
    if (!state) return 0;
    const now = new Date();
    const changed = state.params_hash !== hashOf(t);
    const nextAt = changed ? null : state.next_at;
    if (nextAt && nextAt > now) return 0;
    let result: Evaluation;
    if (t.type === 'core.segment') result = await evaluateSegment(trx, t, now);
    else if (t.type === 'core.schedule') result = await evaluateSchedule(trx, t, now, nextAt !== null);
    else {
      const from = changed ? null : state.last_at;
      result = from ? await evaluateDate(trx, t, from, now) : { started: 0, nextAt: null };
      result.nextAt = new Date(now.getTime() + DATE_EVERY_MS);
    }
    await sql`
      update trigger_state set params_hash = ${hashOf(t)}, last_at = ${now}, next_at = ${result.nextAt}
      where journey_id = ${t.journeyId} and node_id = ${t.nodeId}`.execute(trx);
    return result.started;
  });
}

/**
 * Evaluates every due segment, schedule and date trigger of the live journeys; returns how
 * many runs started. Safe to call from several workers at once.
 */
export async function evaluateTriggers(runtime: Pick<Runtime, 'db' | 'logger' | 'metrics'>): Promise<number> {
  const triggers = await liveTriggers(runtime.db);
  if (!triggers.length) return 0;
  const values = triggers.map((t) => ({ journey_id: t.journeyId, node_id: t.nodeId, params_hash: hashOf(t) }));
  await sql`
    insert into trigger_state (journey_id, node_id, params_hash)
    select journey_id, node_id, params_hash
    from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(journey_id uuid, node_id text, params_hash text)
    on conflict do nothing`.execute(runtime.db);
  let started = 0;
  for (const t of triggers) {
    try {
      const runs = await evaluateOne(runtime.db, t);
      // Each run's trigger step completed here, counted once its transaction committed (API.md "Metrics").
      runtime.metrics.triggered(t.type, runs);
      started += runs;
    } catch (error) {
      // One broken trigger must not hold up the others.
      runtime.logger.error({ err: error, journeyId: t.journeyId, nodeId: t.nodeId }, 'trigger evaluation failed');
    }
  }
  return started;
}

/** Queues the next tick (one pending job at a time thanks to the job key). */
export async function scheduleTriggers(db: Kysely<Database>, delayMs = 1000): Promise<void> {
  await sql`select graphile_worker.add_job(${TRIGGERS_TASK}, '{}'::json,
    run_at => now() + ${delayMs} * interval '1 millisecond', job_key => ${TRIGGERS_TASK}, max_attempts => 1)`.execute(
    db,
  );
}

/**
 * The task to register as `waymark.triggers`: evaluates, then queues itself a second later.
 * Call `scheduleTriggers(db, 0)` once at worker start to begin the cycle.
 */
export function triggersTask(runtime: Runtime): Task {
  return async () => {
    try {
      await evaluateTriggers(runtime);
    } finally {
      await scheduleTriggers(runtime.db);
    }
  };
}
