import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { runEnds } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { fire, installTarball, publishedJourney } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// Each thread a package's code runs in has a heap of 256 MB (server/README.md, "package
// processes"): code that allocates without end fails its own attempt, as a crash, and neither
// its package's process nor Waymark nor any other package grows with it.
const OUT_OF_MEMORY = "the package's thread ran out of memory (its limit is 256 MB)";

let t: TestApp;
let worker: WorkerHandle;

/** A run's body that keeps every array it makes when the trigger says `Greedy`, else answers. */
const greedy = `if (ctx.trigger.name === 'Greedy') {
  const kept = [];
  for (;;) kept.push(new Array(1e6).fill(1));
}
return { next: 'out', output: { shouted: ctx.params.text.toUpperCase() } };`;

beforeAll(async () => {
  t = await createTestApp();
  // Retries a second after a failure, so the retried attempt needs no minutes of backoff.
  worker = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 1_000 } });
  const install = async (prefix: string, run: string, node: string) => {
    const res = await installTarball(
      t,
      await pack(writePackage({ name: `${prefix}-nodes`, prefix, version: '1.0.0', run, node })),
    );
    if (res.statusCode !== 201) throw new Error(res.body);
  };
  // A time limit far past what filling the heap takes: the heap limit is what ends the attempt.
  await install('greedy', greedy, 'timeoutMs: 60000, maxAttempts: 1,');
  await install('twice', greedy, 'timeoutMs: 60000, maxAttempts: 2,');
  await install(
    'fine',
    "return { next: 'out', output: { shouted: ctx.params.text.toUpperCase() } };",
    'maxAttempts: 1,',
  );
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

/** Fires a journey of `type` for a contact named `name`; returns its run and that node's step. */
async function stepOf(type: string, name = 'Ada') {
  const { run, steps } = await runEnds(
    t.runtime.db,
    await fire(t, await publishedJourney(t, type), name),
    undefined,
    60_000,
  );
  return { run, step: steps.find((s) => s.node_id === 'shout') };
}

describe("a package's node that exhausts its thread's heap", () => {
  test('fails its step with step.crashed, naming the limit', async () => {
    const { run, step } = await stepOf('greedy.shout', 'Greedy');
    expect(run.status).toBe('failed');
    expect(step?.error).toMatchObject({ code: 'step.crashed', message: OUT_OF_MEMORY });
  }, 90_000);

  test('is retried as any crash, up to its maxAttempts', async () => {
    const { run, step } = await stepOf('twice.shout', 'Greedy');
    expect(run.status).toBe('failed');
    expect(step?.attempts).toBe(2);
    expect(step?.error).toMatchObject({ code: 'step.crashed', message: OUT_OF_MEMORY });
  }, 90_000);

  test.each([
    ["its package's next run", 'greedy.shout'],
    ["another package's run", 'fine.shout'],
  ])(
    'leaves %s to complete',
    async (_which, type) => {
      await stepOf('greedy.shout', 'Greedy');
      const { run, step } = await stepOf(type, 'Eve');
      expect(run.status).toBe('completed');
      expect(step?.output).toEqual({ shouted: 'HELLO EVE' });
    },
    90_000,
  );
});

describe("a package whose top-level code exhausts its thread's heap", () => {
  test('is refused at install with 422, naming the limit', async () => {
    // Chunks of 32 MB: a few collections reach the limit, well within the load's 10 s on a loaded machine.
    const preamble = 'const kept = []; for (;;) kept.push(new Array(2 ** 23).fill(1));';
    const res = await installTarball(
      t,
      await pack(writePackage({ name: 'hoard-nodes', prefix: 'hoard', version: '1.0.0', preamble })),
    );
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({
      code: 'invalid_package',
      details: [expect.objectContaining({ message: expect.stringContaining(OUT_OF_MEMORY) })],
    });
  }, 90_000);
});
