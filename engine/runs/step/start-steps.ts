import type { JsonObject, Resume } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { ASYNC_COMMIT } from '../../db/commit-mode.js';
import type { Database } from '../../db/database.js';
import { isoText } from '../../db/iso-text.js';

/** A step a batch may run now, with its run. */
export interface StartedStep {
  id: string;
  run_id: string;
  journey_id: string;
  version: number;
  node_id: string;
  parent_step_id: string | null;
  /** The attempt this run of the step makes (the first is 1): the writer counts it. */
  attempts: number;
  resume: Resume | null;
  idempotency_key: string | null;
  /** The due time of the wait it parked in before, if it did. */
  wake_at: Date | null;
  workspace_id: string;
  contact_id: string | null;
  trigger: JsonObject;
  trigger_node_id: string;
  /** ISO 8601 text (`isoText`), as `ctx.run.startedAt` shows it. */
  run_started_at: string;
  /** The trace context the run was started in (`traceparent`, `tracestate`), if traced. */
  trace_context: unknown;
  /** When the batch started (ISO 8601 text, the database's clock): the steps' `started_at`. */
  batch_started_at: string;
}

/**
 * The steps of `stepIds` that may run now — queued, or parked with a resume set — each with
 * the attempt it makes and its run, in ONE statement (`waymark_start_steps`, migrations/0055).
 * It writes nothing: the writer counts the attempt and unparks the parked ones as it settles
 * them, unless `markSteps` did before their nodes ran. Steps finished, cancelled or still
 * parked are left out.
 */
export async function startSteps(db: Kysely<Database>, stepIds: readonly string[]): Promise<StartedStep[]> {
  if (stepIds.length === 0) return [];
  // The statement is a kernel function (0044): top-level, its plan was cached while the steps
  // table was small and scanned every step per batch.
  const { rows } = await sql<StartedStep>`
    select s.id, s.run_id, s.journey_id, s.version, s.node_id, s.parent_step_id, s.attempts, s.resume,
      s.idempotency_key, s.wake_at, s.workspace_id, s.contact_id, s.trigger, s.trigger_node_id,
      ${isoText(sql`s.run_started_at`)} as run_started_at, s.trace_context, ${isoText(sql`now()`)} as batch_started_at
    from waymark_start_steps(${[...stepIds]}::uuid[]) s
  `.execute(db);
  return rows;
}

/**
 * Marks steps running before their nodes run, their attempt counted (`waymark_mark_steps`):
 * for nodes that call out, whose execution cut short by a crash may have made its call and so
 * counts as an attempt. Parked ones leave the waiting counts. Returns the attempt of each step
 * marked; a step that may no longer run (cancelled meanwhile) is left out.
 */
export async function markSteps(db: Kysely<Database>, stepIds: readonly string[]): Promise<Map<string, number>> {
  if (stepIds.length === 0) return new Map();
  const { rows } = await sql<{ id: string; attempts: number }>`
    select m.id, m.attempts, ${ASYNC_COMMIT} as mode from waymark_mark_steps(${[...stepIds]}::uuid[]) m
  `.execute(db);
  return new Map(rows.map((r) => [r.id, r.attempts]));
}

/**
 * Event waits whose deadline passed: each resumes with `timeout` unless an event got there
 * first (whoever sets `resume` first wins), and its wait row goes. Returns the steps claimed.
 */
export async function claimTimeouts(db: Kysely<Database>, stepIds: readonly string[]): Promise<string[]> {
  if (stepIds.length === 0) return [];
  // A kernel function (0045), for the reason the start of a batch is one.
  const { rows } = await sql<{ id: string }>`
    select id from waymark_claim_timeouts(${[...stepIds]}::uuid[]) as c(id)
  `.execute(db);
  return rows.map((r) => r.id);
}
