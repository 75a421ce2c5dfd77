import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { runEnds } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { fire, installTarball, publishedJourney } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// What an installed package's node may return (engine/sdk/README "What run returns"): a result
// of the wrong shape fails its step at once with node.invalid-result, the run goes on to its end.
let t: TestApp;
let worker: WorkerHandle;
let journey: string;

// The trigger's name says which wait the node asks for, each past year 9999 (or for a blank event).
const farWaits = `const far = new Date(Date.UTC(10000, 0, 1));
if (ctx.trigger.name === 'Until') return { wait: { until: far } };
if (ctx.trigger.name === 'Blank') return { wait: { event: ' \\t', timeoutAt: new Date(Date.now() + 60000) } };
return { wait: { event: 'x', timeoutAt: far } };`;

beforeAll(async () => {
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 100 });
  const tarball = await pack(
    writePackage({ name: 'far-nodes', prefix: 'far', version: '1.0.0', run: farWaits, node: 'maxAttempts: 3,' }),
  );
  const res = await installTarball(t, tarball);
  if (res.statusCode !== 201) throw new Error(res.body);
  journey = await publishedJourney(t, 'far.shout');
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

describe('a wait past the 1000-year bound of durations', () => {
  test.each([
    ['wait.until', 'Until'],
    ['wait.timeoutAt', 'Event'],
  ])(
    '%s fails its step at once with node.invalid-result naming the bound',
    async (field, name) => {
      const { run, steps } = await runEnds(t.runtime.db, await fire(t, journey, name), undefined, 20_000);
      const step = steps.find((s) => s.node_id === 'shout');
      expect(run.status).toBe('failed');
      expect(step?.attempts).toBe(1);
      expect(step?.error).toMatchObject({
        code: 'node.invalid-result',
        retryable: false,
        message: `the node returned an invalid result: ${field} must be at most 1000 years (P365250D) from now, not +010000-01-01T00:00:00.000Z`,
      });
    },
    30_000,
  );
});

// No event is stored under a blank name (eventNameSchema): such a wait would end only by its timeout.
test('a wait for a blank event name fails its step at once with node.invalid-result', async () => {
  const { run, steps } = await runEnds(t.runtime.db, await fire(t, journey, 'Blank'), undefined, 20_000);
  const step = steps.find((s) => s.node_id === 'shout');
  expect(run.status).toBe('failed');
  expect(step?.attempts).toBe(1);
  expect(step?.error).toMatchObject({
    code: 'node.invalid-result',
    message: 'the node returned an invalid result: wait.event must be an event name: it must not be blank',
  });
}, 30_000);
