/** Runs, their steps, statistics and failures as the editor reads them (shared/API.md). */

import type { JsonValue } from './json.ts';

// `GET /api/journeys/:id/stats`, typed once in the engine (type-only: nothing of it is bundled).
export type { JourneyStats, NodeStats } from '../../../../../engine/runs/stats-types.ts';

/** A failed step's error (API.md "Step errors"). */
export interface StepError {
  code: string;
  message: string;
  attempts: number;
  retryable: boolean;
}

/** A failure group's latest failure. */
export interface FailureSample {
  runId: string;
  contactId: string | null;
  /** The contact's email (null: none), given to a reader of contacts only. */
  contactEmail?: string | null;
  version: number;
  error: StepError;
  at: string;
}

/** One group of `GET /api/journeys/:id/failures`: the runs failed now at a node with a code. */
export interface FailureGroup {
  nodeId: string;
  code: string;
  count: number;
  sample: FailureSample;
  firstAt: string;
  lastAt: string;
}

export interface JourneyFailures {
  total: number;
  nodes: Record<string, number>;
  groups: FailureGroup[];
}

/** A bulk retry (`GET /api/journeys/:id/retry/:jobId`). */
export interface RetryJob {
  id: string;
  status: 'running' | 'completed' | 'cancelled';
  matched: number;
  retried: number;
  skipped: number;
  runs: Record<RunStatus, number>;
}

export type RunStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'exited';

export interface Run {
  id: string;
  journeyId: string;
  version: number;
  contactId: string | null;
  status: RunStatus;
  outcome?: string;
  startedAt: string;
  endedAt: string | null;
  failure?: { nodeId: string; error: StepError; at: string };
  /** The contact's email (null: none), given to a reader of contacts only. */
  contactEmail?: string | null;
}

export interface RunStep {
  nodeId: string;
  status: 'completed' | 'failed' | 'waiting';
  output?: JsonValue;
  error?: JsonValue;
  attempts: number;
  startedAt: string;
  finishedAt: string | null;
}

/** A step the run's end stopped before it finished (`startedAt` null: queued, never started). */
export interface CancelledStep {
  nodeId: string;
  startedAt: string | null;
  cancelledAt: string;
}

export interface RunDetail extends Run {
  steps: RunStep[];
  cancelledSteps: CancelledStep[];
}

export interface LiveStep {
  type: 'step';
  journeyId: string;
  version: number;
  runId: string;
  nodeId: string;
  status: string;
}
