import { defineNode, definePackage } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { e, n, runForNewContact } from './support.js';

// A node that declares it reads no contact, and an inline one that reads it: each reports
// the contact it saw.
const seeing = definePackage({
  name: 'seeing-nodes',
  version: '1.0.0',
  nodes: [
    defineNode({
      type: 'see.blind',
      version: 1,
      kind: 'action',
      title: 'Blind',
      description: '',
      category: 'Test',
      readsContact: false,
      params: { type: 'object', properties: { label: { type: 'string', format: 'template' } } },
      outputs: ['out'],
      async run(ctx) {
        return { next: 'out', output: { saw: ctx.contact?.email ?? null, label: ctx.params.label ?? null } };
      },
    }),
    defineNode({
      type: 'see.inline',
      version: 1,
      kind: 'action',
      title: 'Looks',
      description: '',
      category: 'Test',
      inline: true,
      params: { type: 'object', properties: {} },
      outputs: ['out'],
      async run(ctx) {
        return { next: 'out', output: { saw: ctx.contact?.email ?? null } };
      },
    }),
  ],
});

let t: TestRuntime;
let worker: WorkerHandle;
beforeAll(async () => {
  t = await createTestRuntime();
  t.runtime.registry.add(seeing);
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const hook = n('hook', 'core.webhook', { secret: 'a-webhook-secret-of-some-length' });
const outputOf = (steps: { node_id: string; output: unknown }[], nodeId: string) =>
  steps.find((s) => s.node_id === nodeId)?.output;

describe('a node that reads no contact (readsContact: false)', () => {
  test('starts without it: ctx.contact is null', async () => {
    const { steps } = await runForNewContact(t.runtime.db, {
      nodes: [hook, n('blind', 'see.blind'), n('done', 'core.exit')],
      edges: [e('hook', 'blind'), e('blind', 'done')],
    });
    expect(outputOf(steps, 'blind')).toEqual({ saw: null, label: null });
  });

  test('sees it when a template in its params may read it, and the template renders it', async () => {
    const { steps, contact } = await runForNewContact(t.runtime.db, {
      nodes: [hook, n('blind', 'see.blind', { label: 'for {{ contact.email }}' }), n('done', 'core.exit')],
      edges: [e('hook', 'blind'), e('blind', 'done')],
    });
    expect(outputOf(steps, 'blind')).toEqual({ saw: contact.email, label: `for ${contact.email}` });
  });

  test('sees it when an inline node after it reads it, and that node sees it too', async () => {
    const { steps, contact } = await runForNewContact(t.runtime.db, {
      nodes: [hook, n('blind', 'see.blind'), n('looks', 'see.inline'), n('done', 'core.exit')],
      edges: [e('hook', 'blind'), e('blind', 'looks'), e('looks', 'done')],
    });
    expect(outputOf(steps, 'looks')).toEqual({ saw: contact.email });
  });
});

describe('core.wait', () => {
  test('until a time of day in the contact’s time zone reads the contact’s zone', async () => {
    const { steps } = await runForNewContact(
      t.runtime.db,
      {
        nodes: [
          hook,
          n('wait', 'core.wait', { until: { time: '09:00', timezone: 'contact' } }),
          n('done', 'core.exit'),
        ],
        edges: [e('hook', 'wait'), e('wait', 'done')],
      },
      { timezone: 'Asia/Tokyo' },
      ['waiting'],
    );
    const wakeAt = steps.find((s) => s.node_id === 'wait')?.wake_at;
    // 09:00 in Tokyo is midnight UTC.
    expect(wakeAt?.toISOString()).toMatch(/T00:00:00\.000Z$/);
  });
});
