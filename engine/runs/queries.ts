import { ConflictError, NotFoundError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { microseconds, pagesOn, timePage } from '../db/cursor.js';
import type { Database } from '../db/database.js';
import type { RunFailure, RunStatus } from '../db/tables/runs.js';
import type { WithinChange } from '../db/transaction.js';
import { endRuns } from './end-runs.js';
import { codeLike } from './failures/code-pattern.js';

/** A run as the API shows it. */
export interface RunView {
  id: string;
  journeyId: string;
  version: number;
  contactId: string | null;
  status: RunStatus;
  outcome?: string;
  trigger: unknown;
  startedAt: string;
  endedAt: string | null;
  /** While the run is failed: where and why. */
  failure?: { nodeId: string; error: RunFailure['error']; at: string };
  /** The run's goal conversion (contracts/experiments.md). */
  conversion: { at: string; eventId: string } | null;
  /** The contact's email, what a marketer searches and reads (for a reader of contacts only). */
  contactEmail?: string | null;
}

/**
 * A step its run's end stopped before it finished (a cancel, an archive, an `exitOn` event, an
 * exit or a failure on another branch): a token parked in a wait or in flight, or one queued
 * and never started (`startedAt` null). API.md's step statuses are completed, failed and
 * waiting, so these are listed beside the steps rather than among them.
 */
export interface CancelledStepView {
  nodeId: string;
  startedAt: string | null;
  cancelledAt: string;
}

/** A run with its steps, as `GET /api/runs/:id` answers it. */
export type RunWithSteps = RunView & { steps: StepView[]; cancelledSteps: CancelledStepView[] };

export interface StepView {
  nodeId: string;
  status: 'completed' | 'failed' | 'waiting';
  output?: unknown;
  error?: unknown;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
}

type RunRow = {
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

const iso = (d: unknown) => (d === null || d === undefined ? null : new Date(d as string).toISOString());

function view(r: RunRow): RunView {
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
const conversion = sql<{ at: string; eventId: string } | null>`(
  select json_build_object('at', c.at, 'eventId', c.event_id) from run_conversions c where c.run_id = runs.id)`.as(
  'conversion',
);

const RUN_COLUMNS = [
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

/** Runs with a step at `nodeId`, in `status` when given, that took `output` when given. */
function atStep(nodeId: string, status: string | undefined, output: string | undefined) {
  return sql<boolean>`exists (select 1 from steps s where s.run_id = runs.id and s.node_id = ${nodeId}
    and (${status ?? null}::text is null or s.status::text = ${status ?? null}::text)
    and (${output ?? null}::text is null or ${output ?? null}::text = any(s.outputs_taken)))`;
}

/** Ids of the workspace's contacts whose email or external id contains `q` (LIKE wildcards taken literally). */
function contactsLike(workspaceId: string, q: string) {
  const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<string>`(select c.id from contacts c where c.workspace_id = ${workspaceId}
    and (c.email ilike ${pattern} or c.external_id ilike ${pattern}))`;
}

/** The emails of the given contacts (null ids skipped), in one query. */
async function emailsOf(
  db: Kysely<Database>,
  workspaceId: string,
  contactIds: readonly (string | null)[],
): Promise<Map<string, string | null>> {
  const ids = [...new Set(contactIds.filter((id): id is string => id !== null))];
  if (ids.length === 0) return new Map();
  const found = await db
    .selectFrom('contacts')
    .select(['id', 'email'])
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', ids)
    .execute();
  return new Map(found.map((c) => [c.id, c.email]));
}

/** The run with its contact's email (`contactEmail`, null when anonymous or without one). */
export async function withContactEmail<R extends RunView>(
  db: Kysely<Database>,
  workspaceId: string,
  run: R,
): Promise<R> {
  const emails = await emailsOf(db, workspaceId, [run.contactId]);
  return { ...run, contactEmail: run.contactId ? (emails.get(run.contactId) ?? null) : null };
}

/**
 * Newest runs first, filtered; `cursor` is the id of the last run of the previous page
 * (keyset paging on (started_at, id), so pages stay stable as runs start).
 */
export async function listRuns(
  db: Kysely<Database>,
  workspaceId: string,
  filter: {
    journeyId?: string;
    /** With `journeyId`: only runs of this version. */
    version?: number;
    contactId?: string;
    status?: RunStatus;
    /** Failed runs whose failure is at this node / has this code (a trailing `*`: a prefix). */
    nodeId?: string;
    code?: string;
    /** Runs with a step at this node (a canvas count): in `stepStatus`, and/or that left by `output`. */
    step?: string;
    stepStatus?: StepView['status'];
    output?: string;
    /** Part of the contact's email or external id, any case. */
    q?: string;
    limit: number;
    cursor?: string;
  },
  /** Whether each run carries its contact's email (`contactEmail`): only for a reader of contacts. */
  show: { contactEmails: boolean } = { contactEmails: true },
): Promise<{ runs: RunView[]; nextCursor: string | null }> {
  let query = db
    .selectFrom('runs')
    .select(RUN_COLUMNS)
    .select(conversion)
    .select(microseconds('started_at').as('us'))
    .where('workspace_id', '=', workspaceId);
  if (filter.journeyId) query = query.where('journey_id', '=', filter.journeyId);
  if (filter.version !== undefined) query = query.where('version', '=', filter.version);
  if (filter.contactId) query = query.where('contact_id', '=', filter.contactId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.nodeId !== undefined || filter.code !== undefined) query = query.where('status', '=', 'failed');
  if (filter.nodeId !== undefined) query = query.where(sql`failure ->> 'nodeId'`, '=', filter.nodeId);
  if (filter.code !== undefined) query = query.where(sql`failure -> 'error' ->> 'code'`, 'like', codeLike(filter.code));
  if (filter.step !== undefined) query = query.where(atStep(filter.step, filter.stepStatus, filter.output));
  if (filter.q) query = query.where('contact_id', 'in', contactsLike(workspaceId, filter.q));
  if (filter.cursor) query = query.where(pagesOn('runs', filter.cursor, 'started_at'));
  const rows = await query
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const { page, nextCursor } = timePage('runs', rows, filter.limit);
  if (!show.contactEmails) return { runs: page.map(view), nextCursor };
  const emails = await emailsOf(
    db,
    workspaceId,
    page.map((r) => r.contact_id),
  );
  const runs = page.map((r) => ({
    ...view(r),
    contactEmail: r.contact_id ? (emails.get(r.contact_id) ?? null) : null,
  }));
  return { runs, nextCursor };
}

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

/**
 * Ends a live run as `exited` (API.md: "the run ends as `exited`"). A run already `exited` is
 * answered as it is, so a cancel repeated after a lost answer succeeds and changes nothing; a
 * run that completed or failed cannot end as `exited`, which is a conflict naming its status.
 * `onCancelled` runs in the cancel's transaction (a repeat too).
 */
export async function cancelRun(
  db: Kysely<Database>,
  workspaceId: string,
  runId: string,
  onCancelled?: WithinChange,
): Promise<RunWithSteps> {
  // Not found in the workspace: 404 before anything ends.
  await getRun(db, workspaceId, runId);
  await db.transaction().execute(async (trx) => {
    const ended = await endRuns(trx, { runIds: [runId] }, 'exited');
    if (ended.length === 0) {
      const { status } = await getRun(trx, workspaceId, runId);
      if (status !== 'exited')
        throw new ConflictError(
          `the run has already ended as ${status}: only a running or waiting run can be cancelled`,
        );
    }
    await onCancelled?.(trx);
  });
  return getRun(db, workspaceId, runId);
}
