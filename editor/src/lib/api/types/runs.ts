/** Runs, their steps, statistics and failures as the editor reads them (shared/API.md). */

import type { RunFailure, RunWithSteps, StepView } from '../../../../../engine/runs/view/types.ts';
import type { JsonValue } from './json.ts';

// Stats, runs, the failures view and bulk retries are typed once in the engine (type-only:
// nothing of it is bundled).
export type {
  FailureFilter,
  FailureGroup,
  FailureSample,
  JourneyFailures,
  RetryJobView as RetryJob,
} from '../../../../../engine/runs/failures/types.ts';
// A live feed message (API.md "Live feed"), as the server sends it.
export type { LiveStep } from '../../../../../engine/runs/live-types.ts';
export type { JourneyStats, NodeStats } from '../../../../../engine/runs/stats-types.ts';
export type {
  CancelledStepView as CancelledStep,
  RunStatus,
  RunView as Run,
} from '../../../../../engine/runs/view/types.ts';

/** A failed step's error (API.md "Step errors"). */
export type StepError = RunFailure['error'];

/** A step as the run's answer sends it: its output and error are JSON. */
export type RunStep = Omit<StepView, 'output' | 'error'> & { output?: JsonValue; error?: JsonValue };

/** `GET /api/runs/:id`: the run, its steps and the steps its end stopped. */
export type RunDetail = Omit<RunWithSteps, 'steps'> & { steps: RunStep[] };
