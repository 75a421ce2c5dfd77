import os from 'node:os';
import { kill, startWaymark, type WaymarkProcess } from '../../test/operations/support/processes.js';
import { cpuBetween, postgresCpu } from '../cpu.js';
import { scaled } from '../database.js';
import { createInstance, PROCESS_ENV, waitForRuns } from '../instance.js';
import type { BenchResult } from '../result.js';
import { queueFiveNodeRuns } from './journey.js';

/**
 * The 5-node journey drained by `workers` worker processes (and one server process), started
 * as `npm run start:worker` would: contact-steps per second, and the share of the machine's
 * CPU PostgreSQL used meanwhile — where it nears its share, PostgreSQL is the bound.
 */
async function drainWith(workers: number): Promise<BenchResult> {
  const contacts = scaled(10_000);
  const instance = await createInstance();
  const processes: WaymarkProcess[] = [];
  try {
    const journeyId = await queueFiveNodeRuns(instance, contacts);
    processes.push(await startWaymark('server', instance.bench.url, PROCESS_ENV));
    const cpuBefore = postgresCpu();
    const started = performance.now();
    processes.push(
      ...(await Promise.all(
        Array.from({ length: workers }, () => startWaymark('worker', instance.bench.url, PROCESS_ENV)),
      )),
    );
    const ms = await waitForRuns(instance.runtime, journeyId, ['completed', 'failed'], contacts);
    const wall = (performance.now() - started) / 1000;
    const share = (cpuBetween(cpuBefore, postgresCpu()) ?? 0) / 1000 / (wall * os.cpus().length);
    const stepsPerSecond = Math.round((contacts * 4) / (ms / 1000));
    return {
      workload: `scale-out: ${workers} worker process${workers === 1 ? '' : 'es'}`,
      metric: 'contact-steps/s',
      value: stepsPerSecond,
      unit: 'steps/s',
      notes: `${contacts} contacts, ${Math.round(ms)} ms (worker start-up included); PostgreSQL ${Math.round(share * 100)}% of ${os.cpus().length} cores`,
    };
  } finally {
    for (const p of processes) await kill(p);
    await instance.close();
  }
}

/** `npm run bench -- --workers N`: the same journey with 1, 2, … N worker processes. */
export async function scaleOut(maxWorkers: number): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (let workers = 1; workers <= maxWorkers; workers++) results.push(await drainWith(workers));
  return results;
}
