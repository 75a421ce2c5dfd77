import { defineNode, definePackage } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { e, n, runForNewContact } from '../support.js';

// A node that declares it reads neither the contact nor the path, and an inline one that
// reads both: each reports what it saw.
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
      readsSteps: false,
      params: { type: 'object', properties: { label: { type: 'string', format: 'template' } } },
      outputs: ['out'],
      async run(ctx) {
        const steps = Object.keys(ctx.steps).sort();
        return { next: 'out', output: { saw: ctx.contact?.email ?? null, steps, label: ctx.params.label ?? null } };
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
        return { next: 'out', output: { saw: ctx.contact?.email ?? null, steps: Object.keys(ctx.steps).sort() } };
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

describe('a node that reads no contact and no steps (readsContact, readsSteps: false)', () => {
  test('starts without them: ctx.contact is null and ctx.steps empty', async () => {
    const { steps } = await runForNewContact(t.runtime.db, {
      nodes: [hook, n('blind', 'see.blind'), n('done', 'core.exit')],
      edges: [e('hook', 'blind'), e('blind', 'done')],
    });
    expect(outputOf(steps, 'blind')).toEqual({ saw: null, steps: [], label: null });
  });

  test('sees the contact when a template in its params reads it, and the template renders', async () => {
    const { steps, contact } = await runForNewContact(t.runtime.db, {
      nodes: [hook, n('blind', 'see.blind', { label: 'for {{ contact.email }}' }), n('done', 'core.exit')],
      edges: [e('hook', 'blind'), e('blind', 'done')],
    });
    expect(outputOf(steps, 'blind')).toEqual({ saw: contact.email, steps: [], label: `for ${contact.email}` });
  });

  test('sees the path when a template in its params reads the steps', async () => {
    const { steps } = await runForNewContact(t.runtime.db, {
      nodes: [hook, n('blind', 'see.blind', { label: '{{ steps.hook.output.plan }}' }), n('done', 'core.exit')],
      edges: [e('hook', 'blind'), e('blind', 'done')],
    });
    expect(outputOf(steps, 'blind')).toMatchObject({ saw: null, steps: ['hook'] });
  });

  test('sees the contact when a template reaches it by a computed name', async () => {
    const { steps, contact } = await runForNewContact(t.runtime.db, {
      nodes: [
        hook,
        n('blind', 'see.blind', { label: '{% assign who = "contact" %}{{ [who].email }}' }),
        n('done', 'core.exit'),
      ],
      edges: [e('hook', 'blind'), e('blind', 'done')],
    });
    expect(outputOf(steps, 'blind')).toEqual({ saw: contact.email, steps: [], label: contact.email });
  });

  test('reads neither when its templates read only the trigger', async () => {
    const { steps } = await runForNewContact(t.runtime.db, {
      nodes: [hook, n('blind', 'see.blind', { label: 'call {{ trigger.email | size }}' }), n('done', 'core.exit')],
      edges: [e('hook', 'blind'), e('blind', 'done')],
    });
    expect(outputOf(steps, 'blind')).toMatchObject({ saw: null, steps: [] });
  });

  test('sees both when an inline node after it reads them, and that node sees them too', async () => {
    const { steps, contact } = await runForNewContact(t.runtime.db, {
      nodes: [hook, n('blind', 'see.blind'), n('looks', 'see.inline'), n('done', 'core.exit')],
      edges: [e('hook', 'blind'), e('blind', 'looks'), e('looks', 'done')],
    });
    expect(outputOf(steps, 'blind')).toMatchObject({ saw: contact.email, steps: ['hook'] });
    expect(outputOf(steps, 'looks')).toEqual({ saw: contact.email, steps: ['blind', 'hook'] });
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

describe('built-in inline nodes read the path only when they use it', () => {
  test('a condition on the output of a step two back reads the path and matches it', async () => {
    const { steps } = await runForNewContact(t.runtime.db, {
      nodes: [
        hook,
        n('first', 'see.blind', { label: 'from first' }),
        n('second', 'see.blind'),
        n('cond', 'core.condition', { filter: { step: 'first', path: 'label', op: 'eq', value: 'from first' } }),
        n('seen', 'core.exit', { goal: 'seen' }),
        n('unseen', 'core.exit', { goal: 'unseen' }),
      ],
      edges: [
        e('hook', 'first'),
        e('first', 'second'),
        e('second', 'cond'),
        e('cond', 'seen', 'yes'),
        e('cond', 'unseen', 'no'),
      ],
    });
    expect(outputOf(steps, 'cond')).toEqual({ matched: true });
    expect(steps.map((s) => s.node_id)).toContain('seen');
  });
});
