import type { Task } from 'graphile-worker';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { TriggerCounter } from '../observability/metrics.js';
import type { Runtime } from '../runtime.js';
import { COMPUTED_TRIGGER, fireComputedTriggers } from './becomes.js';
import type { Definition } from './definition.js';
import { dependencies } from './definition.js';
import { inDependencyOrder, refreshValues, type ValueChange } from './refresh.js';
import { lockComputed } from './store.js';

export const COMPUTED_TASK = 'waymark.computed';
/** The longest the task sleeps: a new definition queues it at once anyway. */
const MAX_SLEEP_MS = 60_000;

interface Row {
  workspace_id: string;
  name: string;
  definition: Definition;
  due: boolean;
}

/** The due attributes and every attribute whose filter reads one of them, transitively. */
function withDependents(rows: Row[]): Row[] {
  const stale = new Set(rows.filter((r) => r.due).map((r) => r.name));
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows)
      if (!stale.has(r.name) && dependencies(r.definition).some((d) => stale.has(d))) {
        stale.add(r.name);
        grew = true;
      }
  }
  return rows.filter((r) => stale.has(r.name));
}

/** An attribute whose refresh failed: it stays as it was (`computing` while first computed). */
export interface RefreshFailure {
  workspaceId: string;
  name: string;
  error: unknown;
}

/**
 * Recomputes, set-based over all contacts, every computed attribute that is new, changed or
 * due by its `refreshEvery` (what time alone changes: windows, days passing, RFM quantiles),
 * and those that read them; marks each `ready` unless its definition changed meanwhile.
 * Answers the values that changed. An attribute whose refresh fails goes to `onFailure` and
 * the others go on; without `onFailure` the failure is thrown. `metrics` counts the trigger
 * steps of the `core.computed` runs each refresh started, once it committed.
 */
export async function refreshDue(
  db: Kysely<Database>,
  onFailure?: (failure: RefreshFailure) => void,
  metrics?: TriggerCounter,
): Promise<ValueChange[]> {
  const { rows } = await sql<Row>`
    select workspace_id, name, definition,
      status = 'computing' or refreshed_at is null or refreshed_at + refresh_every::interval <= now() as due
    from computed_attributes order by workspace_id, name`.execute(db);
  const changes: ValueChange[] = [];
  for (const workspaceId of new Set(rows.map((r) => r.workspace_id))) {
    const mine = rows.filter((r) => r.workspace_id === workspaceId);
    for (const attr of inDependencyOrder(withDependents(mine))) {
      const refreshed = db
        .transaction()
        .execute(async (trx) => {
          // Under the definitions' lock, shared: a PUT or DELETE of the workspace's attributes
          // does not interleave its row writes with ours (two unordered updates of the same
          // contacts deadlocked), and one that committed while we waited is seen below.
          await lockComputed(trx, workspaceId, 'shared');
          if (!(await stillDefined(trx, workspaceId, attr))) return 0;
          const changed = await refreshValues(trx, attr, { workspaceId, now: new Date() });
          const started = await fireComputedTriggers(trx, workspaceId, changed);
          changes.push(...changed);
          await sql`update computed_attributes set status = 'ready', refreshed_at = now()
          where workspace_id = ${workspaceId} and name = ${attr.name}
            and definition = ${JSON.stringify(attr.definition)}::jsonb`.execute(trx);
          return started;
        })
        .then((started) => metrics?.triggered(COMPUTED_TRIGGER, started));
      if (!onFailure) await refreshed;
      else await refreshed.catch((error) => onFailure({ workspaceId, name: attr.name, error }));
    }
  }
  return changes;
}

/**
 * Whether the attribute is still defined as it was read: values of one deleted meanwhile
 * would be written back to every contact, and a changed one is recomputed by the next run.
 */
async function stillDefined(db: Kysely<Database>, workspaceId: string, attr: Row): Promise<boolean> {
  const { rows } = await sql<{ found: number }>`
    select 1 as found from computed_attributes
    where workspace_id = ${workspaceId} and name = ${attr.name} and definition = ${JSON.stringify(attr.definition)}::jsonb`.execute(
    db,
  );
  return rows.length > 0;
}

/**
 * Queues the refresh task (one pending job at a time thanks to the job key). `keepQueued` keeps
 * the time of a refresh already queued: the task queues its next run from what it read before a
 * definition saved meanwhile queued one for now, and replacing that put the new attribute off
 * by up to a minute. `failures` counts the runs in a row in which an attribute failed (the
 * next run's backoff). The job itself is retried with graphile-worker's backoff when a run
 * fails outright, queueing included: with one attempt, a run whose database calls all timed
 * out left no run queued, and an attribute `computing` for good.
 */
export async function queueComputedRefresh(
  db: Kysely<Database>,
  delayMs = 0,
  { keepQueued = false, failures = 0 } = {},
): Promise<void> {
  await sql`select graphile_worker.add_job(${COMPUTED_TASK}, ${JSON.stringify({ failures })}::json,
    run_at => now() + ${delayMs} * interval '1 millisecond', job_key => ${COMPUTED_TASK}, max_attempts => 25,
    job_key_mode => ${keepQueued ? 'preserve_run_at' : 'replace'})`.execute(db);
}

/** Milliseconds until the next attribute is due (at most `MAX_SLEEP_MS`); one still computing is due now. */
async function nextDueIn(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ ms: number | null }>`
    select extract(epoch from min(case when status = 'computing' then now()
      else coalesce(refreshed_at + refresh_every::interval, now()) end) - now()) * 1000 as ms
    from computed_attributes`.execute(db);
  const ms = rows[0]?.ms;
  return ms === null || ms === undefined ? MAX_SLEEP_MS : Math.min(MAX_SLEEP_MS, Math.max(1000, Number(ms)));
}

/** The wait before the run after `failures` failed runs in a row: 2, 4, 8 … seconds, at most `MAX_SLEEP_MS`. */
export function refreshBackoffMs(failures: number): number {
  return Math.min(MAX_SLEEP_MS, 1000 * 2 ** Math.min(failures, 16));
}

/**
 * The task to register as `waymark.computed`: refreshes what is due, then queues itself for
 * the next. An attribute whose refresh fails is logged at error level, naming it, and tried
 * again after a backoff (its `status` stays as it was: `computing` until a refresh succeeds).
 */
export function computedTask(runtime: Runtime): Task {
  return async (payload) => {
    const before = Number((payload as { failures?: unknown } | null)?.failures) || 0;
    let failed = false;
    const onFailure = ({ workspaceId, name, error }: RefreshFailure) => {
      failed = true;
      runtime.logger.error(
        { err: error, workspaceId, attribute: name, failures: before + 1 },
        `computed attribute ${name} could not be refreshed; trying again in ${refreshBackoffMs(before + 1) / 1000} s`,
      );
    };
    await refreshDue(runtime.db, onFailure, runtime.metrics);
    const failures = failed ? before + 1 : 0;
    const delayMs = failed ? refreshBackoffMs(failures) : await nextDueIn(runtime.db);
    await queueComputedRefresh(runtime.db, delayMs, { keepQueued: true, failures });
  };
}
