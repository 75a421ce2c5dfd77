import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { insertRuns } from '../../../engine/runs/entry/insert-runs.js';
import { loadVersion } from '../../../engine/runs/versions.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { e, n, publish, runEnds, testPackage } from '../support.js';

let t: TestRuntime;
let worker: WorkerHandle;

beforeAll(async () => {
  t = await createTestRuntime();
  t.runtime.registry.add(testPackage);
  // A worker that polls once a minute: only its own alarm can release a short wait in time.
  worker = await startWorker(t.runtime, { pollInterval: 60_000 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

describe('waits released when due', () => {
  test('a worker that polls once a minute releases a one-second wait when it falls due', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('nap', 'tst.sleep', { ms: 1000 }), n('after', 'tst.step')],
      edges: [e('t', 'nap'), e('nap', 'after')],
    });
    const version = await loadVersion(t.runtime.db, j.journeyId, j.version);
    if (!version) throw new Error('no version');
    const { runIds } = await insertRuns(t.runtime.db, {
      version,
      triggerNodeId: 't',
      output: 'out',
      contacts: { ids: [null] },
    });
    // Without the alarm the wake-up job would wait for the next poll, a minute away.
    const { run, steps } = await runEnds(t.runtime.db, runIds[0] ?? '', ['completed'], 20_000);
    expect(run.status).toBe('completed');
    expect(steps.map((s) => [s.node_id, s.status])).toEqual([
      ['t', 'completed'],
      ['nap', 'completed'],
      ['after', 'completed'],
    ]);
  }, 30_000);
});
