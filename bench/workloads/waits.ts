import { sql } from 'kysely';
import { startRunsForContacts } from '../../engine/runs/entry/start.js';
import { scaled } from '../database.js';
import { auth, createInstance, importContacts, publishJourney, waitForRuns } from '../instance.js';
import { settledMemory } from '../memory.js';
import { type BenchResult, percentile } from '../result.js';

const waitGraph = (duration: string) => ({
  nodes: [
    {
      id: 'hook',
      type: 'core.webhook',
      version: 1,
      params: { secret: 'bench-secret-0123456789' },
      position: { x: 0, y: 0 },
    },
    { id: 'wait', type: 'core.wait', version: 1, params: { duration }, position: { x: 0, y: 100 } },
    { id: 'exit', type: 'core.exit', version: 1, params: {}, position: { x: 0, y: 200 } },
  ],
  edges: [
    { id: 'e1', source: 'hook', sourceHandle: 'out', target: 'wait' },
    { id: 'e2', source: 'wait', sourceHandle: 'out', target: 'exit' },
  ],
});

async function enter(instance: Awaited<ReturnType<typeof createInstance>>, journeyId: string): Promise<void> {
  const ids = (await sql<{ id: string }>`select id from contacts`.execute(instance.runtime.db)).rows.map((r) => r.id);
  for (let i = 0; i < ids.length; i += 5000) {
    await instance.runtime.db
      .transaction()
      .execute((trx) =>
        startRunsForContacts(trx, { journeyId, version: 1, triggerNodeId: 'hook', contactIds: ids.slice(i, i + 5000) }),
      );
  }
}

/** 100k runs parked in a one-day wait: how long parking takes and what it costs the worker in memory. */
export async function parkedWaits(): Promise<BenchResult[]> {
  const runs = scaled(100_000);
  const instance = await createInstance();
  try {
    await importContacts(instance.app, runs, () => ({}));
    const journeyId = await publishJourney(instance.app, waitGraph('P1D'));
    await enter(instance, journeyId);
    const before = settledMemory();
    await instance.startWorker();
    const ms = await waitForRuns(instance.runtime, journeyId, ['waiting'], runs);
    const after = settledMemory();
    const perHundredK = (bytes: number) => Math.round((bytes / 2 ** 20) * (100_000 / runs));
    const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
    return [
      {
        workload: 'waits: park in a 1-day wait',
        metric: 'time to park',
        value: Math.round(ms),
        unit: 'ms',
        notes: `${runs} runs`,
      },
      {
        workload: 'waits: park in a 1-day wait',
        metric: 'worker heap growth per 100k',
        value: perHundredK(after.heapUsed - before.heapUsed),
        unit: 'MB',
        notes: `after a full GC; goal flat (< 50 MB); heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)} MB`,
      },
      {
        workload: 'waits: park in a 1-day wait',
        metric: 'worker RSS growth per 100k',
        value: perHundredK(after.rss - before.rss),
        unit: 'MB',
        notes: `RSS ${mb(before.rss)} → ${mb(after.rss)} MB (freed heap is not given back at once)`,
      },
    ];
  } finally {
    await instance.close();
  }
}

/** 10k runs in a two-second wait: lag between the wait falling due and the next step starting. */
export async function shortWaits(): Promise<BenchResult[]> {
  const runs = scaled(10_000);
  const instance = await createInstance();
  try {
    await importContacts(instance.app, runs, () => ({}));
    const journeyId = await publishJourney(instance.app, waitGraph('PT2S'));
    await instance.startWorker();
    await enter(instance, journeyId);
    await waitForRuns(instance.runtime, journeyId, ['completed', 'failed'], runs);
    const sample = await instance.app.inject({
      method: 'GET',
      url: `/api/runs?journeyId=${journeyId}&limit=300`,
      headers: auth,
    });
    const lags: number[] = [];
    for (const run of (sample.json() as { runs: { id: string }[] }).runs) {
      const detail = (
        await instance.app.inject({ method: 'GET', url: `/api/runs/${run.id}`, headers: auth })
      ).json() as {
        steps: { nodeId: string; startedAt: string }[];
      };
      const wait = detail.steps.find((s) => s.nodeId === 'wait');
      const exit = detail.steps.find((s) => s.nodeId === 'exit');
      if (wait && exit) lags.push(Date.parse(exit.startedAt) - (Date.parse(wait.startedAt) + 2000));
    }
    const sorted = lags.sort((a, b) => a - b);
    return [
      {
        workload: 'waits: 2-second wait release',
        metric: 'p99 lag',
        value: Math.round(percentile(sorted, 99)),
        unit: 'ms',
        notes: `${runs} runs, p50 ${Math.round(percentile(sorted, 50))} ms (sample ${sorted.length})`,
      },
    ];
  } finally {
    await instance.close();
  }
}
