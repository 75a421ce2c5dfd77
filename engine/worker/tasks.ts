import type { TaskList } from 'graphile-worker';
import type { Kysely } from 'kysely';
import { COMPUTED_TASK, computedTask, queueComputedRefresh } from '../computed/schedule.js';
import type { Database } from '../db/database.js';
import type { RunFailure } from '../db/tables/runs.js';
import { STEP_TASK } from '../runs/bookkeeping.js';
import { BULK_RETRY_TASK, runBulkRetry } from '../runs/failures/bulk-retry.js';
import { fireRunFailed, RUN_FAILED, RUN_FAILED_TASK } from '../runs/failures/run-failed.js';
import { DEFAULT_RETRY, type RetryOptions } from '../runs/kernel/decide.js';
import { type BatchItem, type BatchOptions, runBatch } from '../runs/step/run-batch.js';
import { POLLS_TASK, pollsTask, schedulePolls } from '../runs/triggers/poll.js';
import type { Runtime } from '../runtime.js';
import { scheduleTriggers, TRIGGERS_TASK, triggersTask } from '../segments/tick.js';

/** Every graphile-worker task Waymark runs, by name. */
export function workerTasks(runtime: Runtime, retry: RetryOptions = DEFAULT_RETRY, batch: BatchOptions = {}): TaskList {
  return {
    // A batch of tokens `[{ stepId, timeout? }]` (a lone `{ stepId }` from before batches too).
    [STEP_TASK]: async (payload) => {
      const items = (Array.isArray(payload) ? payload : [payload]).flatMap((p): BatchItem[] => {
        const item = p as { stepId?: unknown; timeout?: unknown } | null;
        // A malformed entry: nothing to run, nothing to retry.
        return typeof item?.stepId === 'string' ? [{ stepId: item.stepId, timeout: item.timeout === true }] : [];
      });
      if (items.length) await runBatch(runtime, items, retry, batch);
    },
    // A run that failed (`{ runId }`, queued by the writer with the failure): core.run-failed journeys.
    [RUN_FAILED_TASK]: async (payload) => {
      const { runId, failure } = (payload ?? {}) as { runId?: unknown; failure?: RunFailure };
      if (typeof runId !== 'string') return;
      runtime.metrics.triggered(RUN_FAILED, await fireRunFailed(runtime.db, runId, failure ?? undefined));
    },
    // A bulk retry (`{ jobId }`): the next chunk of its runs, then it queues itself again.
    [BULK_RETRY_TASK]: async (payload) => {
      const jobId = (payload as { jobId?: unknown } | null)?.jobId;
      if (typeof jobId === 'string') await runBulkRetry(runtime.db, jobId);
    },
    // Segment, schedule and date triggers: one pending tick at a time, re-queued each second.
    [TRIGGERS_TASK]: triggersTask(runtime),
    // Package polling triggers that are due: one pending look at a time, re-queued every 5 s.
    [POLLS_TASK]: pollsTask(runtime),
    // Computed attributes: the set-based refresh of what is new or due, re-queued for the next.
    [COMPUTED_TASK]: computedTask(runtime),
  };
}

/**
 * Queues the tasks that queue themselves again (trigger ticks, polls, computed refreshes), due now.
 * Called each time a runner starts, the first time and after it stopped on its own: a cycle
 * whose job was lost while the database was away begins again then. Their job keys keep one
 * pending job each, however many workers start.
 */
export async function queueRecurringTasks(db: Kysely<Database>): Promise<void> {
  await scheduleTriggers(db, 0);
  await schedulePolls(db, 0);
  await queueComputedRefresh(db, 0);
}
