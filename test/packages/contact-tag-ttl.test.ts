import { afterAll, beforeAll, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { insertContact } from '../channels/scope.js';
import { e, n, runEnds, startAtTrigger, testPackage } from '../engine/support.js';
import { api, publishJourney } from '../failures/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { installTarball } from './journeys.js';
import { pack, writePackage } from './support.js';

// A package's node computes the ttl it gives ctx.contacts.addTag where no schema sees it. Past
// the longest duration (1,000 years) the tag's expiry failed the insert on every retry
// ('interval out of range'); now the step fails for good, naming the ttl (nodes/README.md).

let t: TestApp;
let worker: WorkerHandle;
let journey: { journeyId: string; version: number };

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
  const run = `await ctx.contacts.addTag(ctx.contact.id, 'trial', { ttl: ctx.trigger.ttl });
      return { next: 'out' };`;
  const spec = { name: 'ttl-nodes', version: '1.0.0', prefix: 'ttl', run, node: 'maxAttempts: 3,' };
  const installed = await installTarball(t, await pack(writePackage(spec)));
  if (installed.statusCode !== 201) throw new Error(installed.body);
  worker = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 50 } });
  journey = await publishJourney(t, {
    nodes: [n('t', 'tst.trigger'), n('call', 'ttl.shout', { text: 'x' })],
    edges: [e('t', 'call')],
  });
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

let contacts = 0;

/** A run of the package's node adding the tag `trial` with `ttl` to a new contact: its step and the contact. */
async function addTagWith(ttl: string) {
  contacts++;
  const contactId = await insertContact(t.runtime, { email: `c${contacts}@example.org` });
  const runId = await startAtTrigger(t.runtime.db, journey, contactId, { ttl });
  await runEnds(t.runtime.db, runId, undefined, 20_000);
  const { body: run } = await api(t, { url: `/api/runs/${runId}` });
  const { body: contact } = await api(t, { url: `/api/contacts/${contactId}` });
  return { run, step: run.steps.find((s: { nodeId: string }) => s.nodeId === 'call'), contact };
}

test('ctx.contacts.addTag with a ttl past 1000 years fails the step for good, naming the ttl', async () => {
  const { run, step, contact } = await addTagWith('P300000Y');
  expect(run.status).toBe('failed');
  expect(step.error).toMatchObject({
    code: 'node.failed',
    message: 'ctx.contacts.addTag: ttl "P300000Y" must be at most 1000 years',
  });
  expect(step.attempts).toBe(1);
  expect(contact.tags).toEqual([]);
}, 30_000);

test('ctx.contacts.addTag with a ttl of exactly 1000 years adds the tag', async () => {
  const { run, contact } = await addTagWith('P365250D');
  expect(run.status).toBe('completed');
  expect(contact.tags).toMatchObject([{ tag: 'trial', active: true }]);
  expect(Date.parse(contact.tags[0].expiresAt)).toBeGreaterThan(Date.now() + 999 * 365.25 * 86_400_000);
}, 30_000);
