import { NotFoundError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { RunFailure, RunStatus } from '../../db/tables/runs.js';
import type { RunView, RunWithSteps, StepView } from './types.js';

export type RunRow = {
  id: string;
  journey_id: string;
  version: number;
  contact_id: string | null;
  status: RunStatus;
  outcome: string | null;
  trigger: unknown;
  started_at: unknown;
  ended_at: unknown;
  failure: RunFailure | null;
  conversion: { at: string; eventId: string } | null;
};

export const iso = (d: unknown) => (d === null || d === undefined ? null : new Date(d as string).toISOString());

export function view(r: RunRow): RunView {
  return {
    id: r.id,
    journeyId: r.journey_id,
    version: r.version,
    contactId: r.contact_id,
    status: r.status,
    ...(r.outcome !== null ? { outcome: r.outcome } : {}),
    trigger: r.trigger,
    startedAt: iso(r.started_at) as string,
    endedAt: iso(r.ended_at),
    ...(r.status === 'failed' && r.failure
      ? { failure: { nodeId: r.failure.nodeId, error: r.failure.error, at: iso(r.failure.at) as string } }
      : {}),
    conversion: r.conversion ? { at: iso(r.conversion.at) as string, eventId: r.conversion.eventId } : null,
  };
}

/** The run's conversion, when it has one, as a correlated subquery. */
export const conversion = sql<{ at: string; eventId: string } | null>`(
  select json_build_object('at', c.at, 'eventId', c.event_id) from run_conversions c where c.run_id = runs.id)`.as(
  'conversion',
);

export const RUN_COLUMNS = [
  'id',
  'journey_id',
  'version',
  'contact_id',
  'status',
  'outcome',
  'trigger',
  'started_at',
  'ended_at',
  'failure',
  conversion,
] as const;

/**
 * A run with its steps in order (trigger first): finished and parked steps, and apart from them
 * the steps its end cancelled.
 */
export async function getRun(db: Kysely<Database>, workspaceId: string, runId: string): Promise<RunWithSteps> {
  const run = await db
    .selectFrom('runs')
    .select(RUN_COLUMNS)
    .select(conversion)
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', runId)
    .executeTakeFirst();
  if (!run) throw new NotFoundError(`no run ${runId}`);
  const steps = await db
    .selectFrom('steps')
    .select(STEP_COLUMNS)
    .where('run_id', '=', runId)
    .where('status', 'in', SHOWN_STEPS)
    .orderBy('seq')
    .execute();
  return withSteps(run, steps);
}

const STEP_COLUMNS = [
  'run_id',
  'node_id',
  'status',
  'output',
  'error',
  'attempts',
  'started_at',
  'finished_at',
  'parent_step_id',
  'wake_at',
] as const;
const SHOWN_STEPS = ['completed', 'failed', 'waiting', 'cancelled'] as const;
type StepRow = {
  node_id: string;
  status: string;
  output: unknown;
  error: unknown;
  attempts: number;
  started_at: unknown;
  finished_at: unknown;
  parent_step_id: string | null;
  wake_at: unknown;
};

/** The run with its steps (in order) as `GET /api/runs/:id` shows it. */
function withSteps(run: RunRow, steps: readonly StepRow[]): RunWithSteps {
  const cancelled = steps.filter((s) => s.status === 'cancelled');
  return {
    ...view(run),
    steps: steps
      .filter((s) => s.status !== 'cancelled')
      .map((s) => ({
        nodeId: s.node_id,
        status: s.status as StepView['status'],
        ...(s.parent_step_id === null ? { output: run.trigger } : s.output !== null ? { output: s.output } : {}),
        ...(s.error !== null && s.status === 'failed' ? { error: s.error } : {}),
        attempts: s.attempts,
        startedAt: iso(s.started_at),
        finishedAt: iso(s.finished_at),
        ...(s.status === 'waiting' && s.wake_at !== null ? { wakeAt: iso(s.wake_at) as string } : {}),
      })),
    cancelledSteps: cancelled.map((s) => ({
      nodeId: s.node_id,
      startedAt: iso(s.started_at),
      cancelledAt: iso(s.finished_at) as string,
    })),
  };
}

/** Every run of a contact, oldest first, each as `GET /api/runs/:id` shows it (two queries). */
export async function contactRuns(
  db: Kysely<Database>,
  workspaceId: string,
  contactId: string,
): Promise<RunWithSteps[]> {
  const runs = await db
    .selectFrom('runs')
    .select(RUN_COLUMNS)
    .select(conversion)
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .orderBy('started_at')
    .orderBy('id')
    .execute();
  if (!runs.length) return [];
  const steps = await db
    .selectFrom('steps')
    .select(STEP_COLUMNS)
    .where(
      'run_id',
      'in',
      runs.map((r) => r.id),
    )
    .where('status', 'in', SHOWN_STEPS)
    .orderBy('seq')
    .execute();
  return runs.map((run) =>
    withSteps(
      run,
      steps.filter((s) => s.run_id === run.id),
    ),
  );
}
