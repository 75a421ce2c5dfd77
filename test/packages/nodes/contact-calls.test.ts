import { afterAll, beforeAll, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { insertContact } from '../../channels/scope.js';
import { e, n, runEnds, startAtTrigger, testPackage } from '../../engine/support.js';
import { api, publishJourney } from '../../failures/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { installTarball } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// A blank tag is refused wherever one is written from outside (tagSchema: the API, node params,
// forms), and a package's node calling ctx.contacts with one is outside too: no schema saw the
// name it computed, nor a ttl past the longest duration (1,000 years), whose expiry failed the
// insert on every retry. The step fails for good (nodes/README.md "Error codes": node.failed, a
// service refused its input), naming the call and what it was given.

let t: TestApp;
let worker: WorkerHandle;
let journey: { journeyId: string; version: number };

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
  // Calls the ctx.contacts method its trigger names with the name and options its trigger gives.
  const run = `await ctx.contacts[ctx.trigger.call](ctx.contact.id, ctx.trigger.name, ctx.trigger.options);
      return { next: 'out' };`;
  const spec = { name: 'names-nodes', version: '1.0.0', prefix: 'names', run, node: 'maxAttempts: 3,' };
  const installed = await installTarball(t, await pack(writePackage(spec)));
  if (installed.statusCode !== 201) throw new Error(installed.body);
  worker = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 50 } });
  journey = await publishJourney(t, {
    nodes: [n('t', 'tst.trigger'), n('call', 'names.shout', { text: 'x' })],
    edges: [e('t', 'call')],
  });
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

let contacts = 0;

/** A run of the package's node calling `call` with `name` (and `options`) for a new contact: its step and the contact, as the API shows them. */
async function callWith(call: string, name: string, options: Record<string, string> = {}) {
  contacts++;
  const contactId = await insertContact(t.runtime, { email: `c${contacts}@example.org` });
  const runId = await startAtTrigger(t.runtime.db, journey, contactId, { call, name, options });
  await runEnds(t.runtime.db, runId, undefined, 20_000);
  const { body: run } = await api(t, { url: `/api/runs/${runId}` });
  const { body: contact } = await api(t, { url: `/api/contacts/${contactId}` });
  return { run, step: run.steps.find((s: { nodeId: string }) => s.nodeId === 'call'), contact };
}

test('ctx.contacts.addTag with an empty tag fails the step for good, naming the tag', async () => {
  const { run, step, contact } = await callWith('addTag', '');
  expect(run.status).toBe('failed');
  expect(step.error).toMatchObject({ code: 'node.failed', message: 'ctx.contacts.addTag: tag "" must not be blank' });
  expect(step.attempts).toBe(1);
  expect(contact.tags).toEqual([]);
}, 30_000);

test('ctx.contacts.addTag with a tag of only whitespace fails the step, naming the tag', async () => {
  const { step, contact } = await callWith('addTag', ' \t ');
  expect(step.error).toMatchObject({
    code: 'node.failed',
    message: 'ctx.contacts.addTag: tag " \\t " must not be blank',
  });
  expect(contact.tags).toEqual([]);
}, 30_000);

test('ctx.contacts.addToList with a name over 255 characters fails the step for good, naming the limit', async () => {
  const { step, contact } = await callWith('addToList', 'L'.repeat(256));
  expect(step.error).toMatchObject({
    code: 'node.failed',
    message: `ctx.contacts.addToList: list "${'L'.repeat(40)}…" must be at most 255 characters`,
  });
  expect(step.attempts).toBe(1);
  expect(contact.lists).toEqual([]);
}, 30_000);

test('ctx.contacts.removeTag with a blank tag fails the step, naming the tag', async () => {
  const { step } = await callWith('removeTag', '  ');
  expect(step.error).toMatchObject({
    code: 'node.failed',
    message: 'ctx.contacts.removeTag: tag "  " must not be blank',
  });
}, 30_000);

test.each([
  ['empty', ''],
  ['of only whitespace', '  '],
])(
  'ctx.contacts.addToList with a list name %s fails the step, as the API refuses it',
  async (_, list) => {
    const { step, contact } = await callWith('addToList', list);
    expect(step.error).toMatchObject({
      code: 'node.failed',
      message: `ctx.contacts.addToList: list ${JSON.stringify(list)} must not be blank`,
    });
    expect(contact.lists).toEqual([]);
  },
  30_000,
);

test('ctx.contacts.addTag with a tag holding spaces around a word adds it as given', async () => {
  const { run, contact } = await callWith('addTag', ' vip ');
  expect(run.status).toBe('completed');
  expect(contact.tags.map((tag: { tag: string }) => tag.tag)).toEqual([' vip ']);
}, 30_000);

test.each([
  ['empty', ''],
  ['of only whitespace', ' \t '],
])(
  'ctx.contacts.recordEvent with a name %s fails the step for good, naming the name, and stores no event',
  async (_, name) => {
    const { run, step, contact } = await callWith('recordEvent', name);
    expect(run.status).toBe('failed');
    expect(step.error).toMatchObject({
      code: 'node.failed',
      message: `ctx.contacts.recordEvent: event name ${JSON.stringify(name)} must not be blank`,
    });
    expect(step.attempts).toBe(1);
    const { body } = await api(t, { url: `/api/events?contactId=${contact.id}` });
    expect(body.events).toEqual([]);
  },
  30_000,
);

test('ctx.contacts.addTag with a ttl past 1000 years fails the step for good, naming the ttl', async () => {
  const { run, step, contact } = await callWith('addTag', 'trial', { ttl: 'P300000Y' });
  expect(run.status).toBe('failed');
  expect(step.error).toMatchObject({
    code: 'node.failed',
    message: 'ctx.contacts.addTag: ttl "P300000Y" must be at most 1000 years',
  });
  expect(step.attempts).toBe(1);
  expect(contact.tags).toEqual([]);
}, 30_000);

test('ctx.contacts.addTag with a ttl of exactly 1000 years adds the tag', async () => {
  const { run, contact } = await callWith('addTag', 'trial', { ttl: 'P365250D' });
  expect(run.status).toBe('completed');
  expect(contact.tags).toMatchObject([{ tag: 'trial', active: true }]);
  expect(Date.parse(contact.tags[0].expiresAt)).toBeGreaterThan(Date.now() + 999 * 365.25 * 86_400_000);
}, 30_000);
