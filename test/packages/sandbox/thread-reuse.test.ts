import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { runEnds } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { fire, installTarball, publishedJourney } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// A package version's threads each serve one attempt at a time and wait for the next once it
// answered, so that a step does not pay for a new thread and a fresh import.
let t: TestApp;
let worker: WorkerHandle;

beforeAll(async () => {
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 100 });
  const install = async (prefix: string, run: string, preamble = '') => {
    const res = await installTarball(
      t,
      await pack(
        writePackage({ name: `${prefix}-nodes`, prefix, version: '1.0.0', run, node: 'maxAttempts: 1,', preamble }),
      ),
    );
    if (res.statusCode !== 201) throw new Error(res.body);
  };
  // Ann's step leaves a timer that throws; Bob's step runs while it would fire.
  await install(
    'leftover',
    `if (ctx.params.text === 'hello Ann') {
  setTimeout(() => { throw new Error('thrown after its step answered'); }, 500);
  return { next: 'out' };
}
await new Promise((r) => setTimeout(r, 1500));
return { next: 'out' };`,
  );
  await install('count', "calls += 1; return { next: 'out', output: { calls } };", 'let calls = 0;');
  // Ann's step leaves a send behind it; Bob's step runs long enough for it to fire meanwhile.
  await install(
    'late',
    `if (ctx.params.text === 'hello Ann') {
  setTimeout(() => ctx.messages.send({ channel: 'email', category: 'transactional', subject: 'late', html: '<p>late</p>' }).catch(() => {}), 1000);
  return { next: 'out' };
}
await new Promise((r) => setTimeout(r, 2500));
return { next: 'out' };`,
  );
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

async function ended(runId: string) {
  const { run, steps } = await runEnds(t.runtime.db, runId, undefined, 20_000);
  return { run, step: steps.find((s) => s.node_id === 'shout') };
}

describe("an installed package's threads", () => {
  test('serve its later steps, which see the module state the earlier ones left', async () => {
    const id = await publishedJourney(t, 'count.shout');
    const first = await ended(await fire(t, id, 'Ann'));
    const second = await ended(await fire(t, id, 'Bob'));
    expect(first.step?.output).toEqual({ calls: 1 });
    expect(second.step?.output).toEqual({ calls: 2 });
  }, 30_000);

  test('a call an earlier step left running reaches no later step’s contact', async () => {
    const id = await publishedJourney(t, 'late.shout');
    const ann = await ended(await fire(t, id, 'Ann'));
    const bob = await ended(await fire(t, id, 'Bob'));
    expect(bob.run.status).toBe('completed');
    for (const contactId of [ann.run.contact_id, bob.run.contact_id]) {
      const res = await t.app.inject({ method: 'GET', url: `/api/messages?contactId=${contactId}`, headers: t.auth });
      expect(res.json().messages).toEqual([]);
    }
  }, 30_000);

  test('a step that left work running keeps its thread to itself: a crash of that work fails no later step', async () => {
    const id = await publishedJourney(t, 'leftover.shout');
    const ann = await ended(await fire(t, id, 'Ann'));
    const bob = await ended(await fire(t, id, 'Bob'));
    expect(ann.run.status).toBe('completed');
    expect(bob.run.status).toBe('completed');
    expect(bob.step?.attempts).toBe(1);
  }, 30_000);
});
