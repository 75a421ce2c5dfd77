import { createHash } from 'node:crypto';
import type { Task } from 'graphile-worker';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { GraphNode } from '../graph/types.js';
import type { Runtime } from '../runtime.js';
import { enterChunk, memoryAfterPause, openTick, TICK_TRIGGERS, type TriggerNode } from './entry.js';

/** The graphile-worker task that evaluates segment, schedule and date triggers; it re-adds itself. */
export const TRIGGERS_TASK = 'waymark.triggers';

async function liveTriggers(db: Kysely<Database>, journeyId: string | null = null): Promise<TriggerNode[]> {
  const exists = await sql<{ ok: boolean }>`select to_regclass('public.journey_versions') is not null as ok`.execute(
    db,
  );
  if (!exists.rows[0]?.ok) return [];
  const { rows } = await sql<{
    journey_id: string;
    workspace_id: string;
    version: number;
    graph: { nodes: GraphNode[] };
    published_at: Date;
  }>`
    select j.id as journey_id, j.workspace_id, v.version, v.graph, v.published_at from journeys j
    join journey_versions v on v.journey_id = j.id and v.version = j.published_version
    where j.status = 'live' ${journeyId ? sql`and j.id = ${journeyId}` : sql``}`.execute(db);
  return rows.flatMap((r) =>
    (r.graph.nodes ?? [])
      .filter((n) => TICK_TRIGGERS.has(n.type))
      .map((n) => ({
        journeyId: r.journey_id,
        workspaceId: r.workspace_id,
        version: r.version,
        publishedAt: r.published_at,
        nodeId: n.id,
        type: n.type as TriggerNode['type'],
        params: n.params ?? {},
      })),
  );
}

/** What a trigger's state is kept under: a republish with the same type and params keeps it (`trigger_state.params_hash`). */
export const paramsHash = (type: string, params: unknown) =>
  createHash('sha256')
    .update(JSON.stringify([type, params]))
    .digest('hex');

const hashOf = (t: TriggerNode) => paramsHash(t.type, t.params);

/**
 * Contacts a tick enters per transaction: each chunk commits its runs (so the first steps run
 * while the rest enter) with the point it reached, so a tick cut short by a crash or a
 * restart goes on from there and enters nobody twice.
 */
export const ENTRY_CHUNK = 10_000;

interface StateRow {
  params_hash: string;
  last_at: Date | null;
  next_at: Date | null;
  tick_at: Date | null;
  tick_from: Date | null;
  entered_through: string | null;
}

// One evaluator per trigger at a time, across worker processes: the others skip it.
async function lockState(trx: Kysely<Database>, t: TriggerNode): Promise<StateRow | undefined> {
  const { rows } = await sql<StateRow>`
    select params_hash, last_at, next_at, tick_at, tick_from, entered_through from trigger_state
    where journey_id = ${t.journeyId} and node_id = ${t.nodeId} for update skip locked`.execute(trx);
  return rows[0];
}

/** Opens a tick when the trigger is due; true when one is open (a new one, or one cut short before). */
async function open(db: Kysely<Database>, t: TriggerNode): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const state = await lockState(trx, t);
    if (!state) return false;
    const hash = hashOf(t);
    const changed = state.params_hash !== hash;
    if (state.tick_at && !changed) return true;
    const now = new Date();
    // Never evaluated with these params: what fell due since they were published is due now,
    // caught up once as a tick missed while no worker ran (none may have run since publishing).
    const first = changed || (state.last_at === null && state.next_at === null);
    const dueAt = first ? null : state.next_at;
    if (dueAt && dueAt > now) return false;
    const opening = await openTick(trx, t, { lastAt: first ? t.publishedAt : state.last_at, dueAt }, now);
    // Without a tick the evaluation is over now; with one, when its last chunk is in.
    await sql`
      update trigger_state set params_hash = ${hash}, next_at = ${opening.nextAt},
        tick_at = ${opening.tick?.at ?? null}, tick_from = ${opening.tick?.from ?? null}, entered_through = null,
        last_at = ${opening.tick ? sql`last_at` : now}
      where journey_id = ${t.journeyId} and node_id = ${t.nodeId}`.execute(trx);
    return opening.tick !== null;
  });
}

/** Enters the open tick's next chunk; null when no tick is open here any more. */
async function nextChunk(
  db: Kysely<Database>,
  t: TriggerNode,
  size: number,
): Promise<{ started: number; done: boolean } | null> {
  return db.transaction().execute(async (trx) => {
    const state = await lockState(trx, t);
    if (!state?.tick_at) return null;
    const tick = { at: state.tick_at, from: state.tick_from };
    const chunk = await enterChunk(trx, t, tick, state.entered_through, size);
    const done = chunk.taken < size;
    await sql`
      update trigger_state set entered_through = ${done ? null : chunk.last},
        tick_at = ${done ? null : tick.at}, tick_from = ${done ? null : tick.from},
        last_at = ${done ? tick.at : sql`last_at`}
      where journey_id = ${t.journeyId} and node_id = ${t.nodeId}`.execute(trx);
    return { started: chunk.started, done };
  });
}

async function evaluateOne(runtime: Pick<Runtime, 'db' | 'metrics'>, t: TriggerNode, size: number): Promise<number> {
  if (!(await open(runtime.db, t))) return 0;
  let started = 0;
  for (;;) {
    const chunk = await nextChunk(runtime.db, t, size);
    if (!chunk) return started;
    // Each run's trigger step completed here, counted once its transaction committed (API.md "Metrics").
    runtime.metrics.triggered(t.type, chunk.started);
    started += chunk.started;
    if (chunk.done) return started;
  }
}

/**
 * Evaluates every due segment, schedule and date trigger of the live journeys, and goes on
 * with ticks cut short; returns how many runs started. Safe to call from several workers at
 * once. `chunk`: contacts entered per transaction (default `ENTRY_CHUNK`).
 */
export async function evaluateTriggers(
  runtime: Pick<Runtime, 'db' | 'logger' | 'metrics'>,
  options: { chunk?: number } = {},
): Promise<number> {
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
      started += await evaluateOne(runtime, t, options.chunk ?? ENTRY_CHUNK);
    } catch (error) {
      // One broken trigger must not hold up the others.
      runtime.logger.error({ err: error, journeyId: t.journeyId, nodeId: t.nodeId }, 'trigger evaluation failed');
    }
  }
  return started;
}

/**
 * Moves the triggers of a journey being resumed (live again in `trx`) past its pause: a
 * paused journey's triggers are not evaluated, so their state still says when they were
 * last, and the next evaluation would enter what the pause turned away. A tick cut short
 * before the pause is dropped with it. Downtime of the workers is not a pause: it is caught up.
 */
export async function passOverPause(trx: Kysely<Database>, journeyId: string): Promise<void> {
  const now = new Date();
  for (const t of await liveTriggers(trx, journeyId)) {
    const memory = await memoryAfterPause(trx, t, now);
    await sql`
      insert into trigger_state (journey_id, node_id, params_hash, last_at, next_at)
      values (${t.journeyId}, ${t.nodeId}, ${hashOf(t)}, ${memory.lastAt}, ${memory.nextAt})
      on conflict (journey_id, node_id) do update set params_hash = excluded.params_hash,
        last_at = excluded.last_at, next_at = excluded.next_at,
        tick_at = null, tick_from = null, entered_through = null`.execute(trx);
  }
}

/**
 * Queues the next tick (one pending job at a time thanks to the job key). The job is retried
 * with graphile-worker's backoff when a run cannot queue the next: with one attempt, a run
 * whose database went away mid-tick failed for good and no tick ran again until a restart.
 */
export async function scheduleTriggers(db: Kysely<Database>, delayMs = 1000): Promise<void> {
  await sql`select graphile_worker.add_job(${TRIGGERS_TASK}, '{}'::json,
    run_at => now() + ${delayMs} * interval '1 millisecond', job_key => ${TRIGGERS_TASK}, max_attempts => 25)`.execute(
    db,
  );
}

/**
 * The task to register as `waymark.triggers`: evaluates, then queues itself a second later.
 * An evaluation that fails is logged and tried again at the next tick; a run that cannot queue
 * the next fails, and graphile-worker runs it again. The worker queues the first tick each time
 * its runner starts (`queueRecurringTasks`).
 */
export function triggersTask(runtime: Runtime): Task {
  return async () => {
    try {
      await evaluateTriggers(runtime);
    } catch (error) {
      runtime.logger.error({ err: error }, 'triggers could not be evaluated; trying again in a second');
    }
    await scheduleTriggers(runtime.db);
  };
}
