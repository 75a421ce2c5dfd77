import { Logger, makeWorkerUtils, run } from 'graphile-worker';
import { createBenchDatabase, scaled } from '../database.js';
import type { BenchResult } from '../result.js';

const quiet = new Logger(() => () => {});

/**
 * The ceiling: raw graphile-worker draining no-op jobs, batch-added, with the tuned options
 * of STACK.md (local queue, no batch delays, concurrency 20).
 */
export async function ceiling(): Promise<BenchResult[]> {
  const jobs = scaled(20_000);
  const bench = await createBenchDatabase();
  try {
    const utils = await makeWorkerUtils({ pgPool: bench.pool, logger: quiet });
    for (let i = 0; i < jobs; i += 1000) {
      await utils.addJobs(
        Array.from({ length: Math.min(1000, jobs - i) }, () => ({ identifier: 'noop', payload: {} })),
      );
    }
    await utils.release();
    let done = 0;
    let finished: () => void = () => {};
    const allDone = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const started = performance.now();
    const runner = await run({
      pgPool: bench.pool,
      concurrency: 20,
      noHandleSignals: true,
      logger: quiet,
      crontab: '',
      preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
      taskList: {
        noop: async () => {
          if (++done === jobs) finished();
        },
      },
    });
    await allDone;
    const seconds = (performance.now() - started) / 1000;
    await runner.stop();
    return [
      {
        workload: 'ceiling: graphile-worker no-op',
        metric: 'jobs/s',
        value: Math.round(jobs / seconds),
        unit: 'jobs/s',
        notes: `${jobs} jobs, concurrency 20, localQueue 500`,
      },
    ];
  } finally {
    await bench.drop();
  }
}
