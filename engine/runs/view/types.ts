/**
 * The shapes of the run answers (shared/API.md "Runs") apart from the queries that read them:
 * no runtime imports, so the editor reads the same types (type-only) without the engine's
 * database code. The runs table stores `RunStatus` and `RunFailure` as they are here.
 */

export type RunStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'exited';

/** A failed run's failure: the node, its step error and when. */
export interface RunFailure {
  nodeId: string;
  error: { code: string; message: string; attempts: number; retryable: boolean };
  at: string;
}

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
  /**
   * A waiting step's due time, when it goes on by itself: a wait's end, a wait-for-event's
   * timeout (an event may come first), the end of the quiet hours holding its message.
   */
  wakeAt?: string;
}
