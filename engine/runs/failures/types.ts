/**
 * The shapes of the failures view and of bulk retries (API.md "Retrying runs") apart from the
 * queries that read and work them: no runtime imports, so the editor reads the same types
 * (type-only) without the engine's database code.
 */
import type { RunFailure } from '../view/types.js';

/** Which failed runs of a journey: failed node, error code (trailing `*`: a prefix), failure time in [from, to). */
export interface FailureFilter {
  nodes?: string[];
  codes?: string[];
  from?: string;
  to?: string;
  version?: number;
}

/** A group's latest failure; `contactEmail` only for a reader of contacts. */
export interface FailureSample {
  runId: string;
  contactId: string | null;
  contactEmail?: string | null;
  version: number;
  error: RunFailure['error'];
  at: string;
}

/** One group of the failures view: the runs failed now at one node with one error code. */
export interface FailureGroup {
  nodeId: string;
  code: string;
  count: number;
  firstAt: string;
  lastAt: string;
  sample: FailureSample;
}

/** `GET /api/journeys/:id/failures`: how many runs failed now, per node, and their groups. */
export interface JourneyFailures {
  total: number;
  nodes: Record<string, number>;
  groups: FailureGroup[];
}

/** A bulk retry as the API shows it (API.md "Retrying runs"). */
export interface RetryJobView {
  id: string;
  journeyId: string;
  status: 'running' | 'completed' | 'cancelled';
  filter: FailureFilter;
  matched: number;
  retried: number;
  skipped: number;
  runs: { running: number; waiting: number; completed: number; failed: number; exited: number };
  createdAt: string;
  finishedAt: string | null;
}
