import type { TaskList } from 'graphile-worker';
import { DEFAULT_RETRY, type RetryOptions } from '../runs/apply-outcome.js';
import { STEP_TASK } from '../runs/bookkeeping.js';
import { executeStep } from '../runs/execute-step.js';
import type { Runtime } from '../runtime.js';
import { TRIGGERS_TASK, triggersTask } from '../segments/tick.js';

/** Every graphile-worker task Waymark runs, by name. */
export function workerTasks(runtime: Runtime, retry: RetryOptions = DEFAULT_RETRY): TaskList {
  return {
    [STEP_TASK]: async (payload) => {
      const p = payload as { stepId?: unknown; timeout?: unknown };
      if (typeof p?.stepId !== 'string') return; // a malformed job: nothing to run, nothing to retry
      await executeStep(runtime, { stepId: p.stepId, timeout: p.timeout === true }, retry);
    },
    // Segment, schedule and date triggers: one pending tick at a time, re-queued each second.
    [TRIGGERS_TASK]: triggersTask(runtime),
  };
}
