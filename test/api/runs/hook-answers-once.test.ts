import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, n, publish, testPackage } from '../../engine/support.js';
import { loggedLines } from '../../support/log-lines.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// A webhook call is answered once, and a refusal is the end of it: nothing after the answer runs
// (no start attempted, no handler) and the log holds no error or warning about it. A reply is
// a thenable, so an answer handed back through an `await` came back undefined, and the call went
// on past its 409 into the intake, which logged an error for a call already answered.

let t: TestApp;
let worker: WorkerHandle;
const log = loggedLines('warn');
const SECRET = 'a-webhook-secret-of-some-length';

beforeAll(async () => {
  t = await createTestApp({}, { logger: log.logger });
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const post = (journeyId: string, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET, ...headers },
    payload: JSON.stringify({ name: 'Ada' }),
  });
const pause = (journeyId: string) =>
  t.runtime.db.updateTable('journeys').set({ status: 'paused' }).where('id', '=', journeyId).execute();
/** Lines at warn and above logged while `work` ran. */
async function loggedDuring(work: () => Promise<void>) {
  const from = log.lines.length;
  await work();
  await new Promise((r) => setTimeout(r, 100));
  return log.lines.slice(from).map((l) => l.msg);
}

describe('a webhook call is answered once', () => {
  test('a paused journey’s 409 is the whole answer: no error is logged', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('a', 'tst.step')],
      edges: [e('hook', 'a')],
    });
    await pause(j.journeyId);
    const logged = await loggedDuring(async () => {
      const res = await post(j.journeyId);
      expect([res.statusCode, res.json().error.code]).toEqual([409, 'journey_paused']);
    });
    expect(logged).toEqual([]);
  });

  test('a journey paused after its webhook was called answers 409 without an error logged', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('a', 'tst.step')],
      edges: [e('hook', 'a')],
    });
    expect((await post(j.journeyId)).statusCode).toBe(202);
    await pause(j.journeyId);
    const logged = await loggedDuring(async () => {
      expect((await post(j.journeyId)).statusCode).toBe(409);
    });
    expect(logged).toEqual([]);
  });

  test('with Prefer: wait, the core.respond answer is sent alone: no second answer is attempted', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [
        n('hook', 'core.webhook', { secret: SECRET }),
        n('answer', 'core.respond', { status: 201, body: { ok: true } }),
      ],
      edges: [e('hook', 'answer')],
    });
    const logged = await loggedDuring(async () => {
      const res = await post(j.journeyId, { prefer: 'wait=5' });
      expect([res.statusCode, res.json()]).toEqual([201, { ok: true }]);
    });
    expect(logged).toEqual([]);
  });
});
