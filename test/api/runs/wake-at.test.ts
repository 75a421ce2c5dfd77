import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, eventually, n } from '../../engine/support.js';
import { publishJourney } from '../../failures/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
let worker: WorkerHandle;
beforeAll(async () => {
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const SECRET = 'a-secret-of-16-chars';

/** Starts a run of the journey through its webhook and answers it once its token waits at `nodeId`. */
async function waitingAt(journeyId: string, nodeId: string) {
  const hook = await t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'x-waymark-secret': SECRET },
    payload: { email: `${nodeId}@example.com` },
  });
  expect(hook.statusCode, hook.body).toBe(202);
  return eventually(async () => {
    const run = (await t.app.inject({ url: `/api/runs/${hook.json().runId}`, headers: t.auth })).json();
    return run.status === 'waiting' && run.steps.some((s: { nodeId: string }) => s.nodeId === nodeId) && run;
  });
}

const HOUR = 3_600_000;

describe('GET /api/runs/:id shows when a waiting step is due', () => {
  test('a wait shows its end; the steps before it show none', async () => {
    const { journeyId } = await publishJourney(t, {
      nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('later', 'core.wait', { duration: 'P2D' })],
      edges: [e('hook', 'later')],
    });
    const run = await waitingAt(journeyId, 'later');
    const [trigger, wait] = run.steps;
    expect(trigger).not.toHaveProperty('wakeAt');
    expect(wait).toMatchObject({ nodeId: 'later', status: 'waiting' });
    expect(Math.abs(Date.parse(wait.wakeAt) - (Date.parse(wait.startedAt) + 48 * HOUR))).toBeLessThan(5_000);
  });

  test('a wait-for-event shows when it times out', async () => {
    const { journeyId } = await publishJourney(t, {
      nodes: [
        n('hook', 'core.webhook', { secret: SECRET }),
        n('click', 'core.wait-for-event', { event: 'clicked', timeout: 'PT3H' }),
      ],
      edges: [e('hook', 'click')],
    });
    const run = await waitingAt(journeyId, 'click');
    const wait = run.steps[1];
    expect(Math.abs(Date.parse(wait.wakeAt) - (Date.parse(wait.startedAt) + 3 * HOUR))).toBeLessThan(5_000);
  });
});
