import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { e, n, publish, runEnds } from '../support.js';

// crm.update-contact `attributes: { name: template }` (NODES.md, nodes/README.md): a template
// that is one output alone writes the value with its JSON type, so a filter comparing numbers
// matches it; a value the run does not have writes nothing.
const SECRET = 'a-webhook-secret-of-some-length';
let t: TestApp;
let worker: WorkerHandle;
beforeAll(async () => {
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 100 });
});
afterAll(() => worker?.stop().then(() => t?.close()));

/** Posts `payload` to a webhook journey writing `attributes`, then `score gt 10`; answers where it went. */
async function runWith(attributes: Record<string, string>, payload: object): Promise<string | null> {
  const j = await publish(t.runtime.db, {
    nodes: [
      n('hook', 'core.webhook', { secret: SECRET }),
      n('write', 'crm.update-contact', { attributes }),
      n('cond', 'core.condition', { filter: { attr: 'score', op: 'gt', value: 10 } }),
      n('yes', 'core.exit', { goal: 'yes' }),
      n('no', 'core.exit', { goal: 'no' }),
    ],
    edges: [e('hook', 'write'), e('write', 'cond'), e('cond', 'yes', 'yes'), e('cond', 'no', 'no')],
  });
  const res = await t.app.inject({
    method: 'POST',
    url: `/hooks/${j.journeyId}/hook`,
    headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
    payload: JSON.stringify(payload),
  });
  expect(res.statusCode, res.body).toBe(202);
  const { run } = await runEnds(t.runtime.db, res.json().runId);
  return run.outcome;
}

async function attributesOf(email: string): Promise<Record<string, unknown>> {
  const segment = JSON.stringify({ attr: 'email', op: 'eq', value: email });
  const res = await t.app.inject({ url: `/api/contacts?segment=${encodeURIComponent(segment)}`, headers: t.auth });
  return res.json().contacts[0].attributes;
}

describe('crm.update-contact writes what its templates give', () => {
  test('a template that is one output writes a number as a number, and the condition compares it', async () => {
    const outcome = await runWith({ score: '{{ trigger.score }}' }, { email: 'num@example.com', score: 42 });
    expect(outcome).toBe('yes');
    expect(await attributesOf('num@example.com')).toMatchObject({ score: 42 });
  });

  test('keeps a boolean, an object and a list as they are; text around an output makes text', async () => {
    const attributes = {
      vip: ' {{ trigger.vip }} ',
      address: '{{ trigger.address }}',
      tags: '{{- trigger.tags -}}',
      label: 'score {{ trigger.score }}',
    };
    const payload = { email: 'kinds@example.com', vip: true, address: { city: 'Oulu' }, tags: ['a'], score: 3 };
    await runWith(attributes, payload);
    expect(await attributesOf('kinds@example.com')).toMatchObject({
      vip: true,
      address: { city: 'Oulu' },
      tags: ['a'],
      label: 'score 3',
    });
  });

  test('a value missing from the payload leaves the attribute as it was', async () => {
    await runWith(
      { score: '{{ trigger.score }}', plan: '{{ trigger.plan }}' },
      { email: 'keep@example.com', score: 42, plan: 'pro' },
    );
    const outcome = await runWith(
      { score: '{{ trigger.score }}', plan: '{{ trigger.plan }}' },
      { email: 'keep@example.com', plan: 'max' },
    );
    expect(outcome).toBe('yes');
    expect(await attributesOf('keep@example.com')).toMatchObject({ score: 42, plan: 'max' });
  });
});
