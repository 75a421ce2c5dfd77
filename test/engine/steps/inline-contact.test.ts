import type { JsonObject } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { e, n, type publish, runForNewContact } from '../support.js';

let t: TestRuntime;
let worker: WorkerHandle;

beforeAll(async () => {
  t = await createTestRuntime();
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const runFor = (graph: Parameters<typeof publish>[1], attributes: JsonObject = {}) =>
  runForNewContact(t.runtime.db, graph, { attributes });

const hook = n('hook', 'core.webhook', { secret: 'a-webhook-secret-of-some-length' });

describe('inline steps in one transaction', () => {
  test('a condition sees the tag the step before it added', async () => {
    const { steps } = await runFor({
      nodes: [
        hook,
        n('tag', 'crm.tag', { action: 'add', tag: 'vip' }),
        n('cond', 'core.condition', { filter: { tag: 'vip', op: 'has' } }),
        n('yes', 'core.exit', { goal: 'saw-tag' }),
        n('no', 'core.exit', { goal: 'missed-tag' }),
      ],
      edges: [e('hook', 'tag'), e('tag', 'cond'), e('cond', 'yes', 'yes'), e('cond', 'no', 'no')],
    });
    expect(steps.map((s) => s.node_id)).toEqual(['hook', 'tag', 'cond', 'yes']);
  });

  test('a condition sees a tag removed by the step before it as gone', async () => {
    const { steps } = await runFor({
      nodes: [
        hook,
        n('add', 'crm.tag', { action: 'add', tag: 'trial' }),
        n('remove', 'crm.tag', { action: 'remove', tag: 'trial' }),
        n('cond', 'core.condition', { filter: { tag: 'trial', op: 'has' } }),
        n('yes', 'core.exit', { goal: 'still-tagged' }),
        n('no', 'core.exit', { goal: 'untagged' }),
      ],
      edges: [
        e('hook', 'add'),
        e('add', 'remove'),
        e('remove', 'cond'),
        e('cond', 'yes', 'yes'),
        e('cond', 'no', 'no'),
      ],
    });
    expect(steps.map((s) => s.node_id)).toEqual(['hook', 'add', 'remove', 'cond', 'no']);
  });

  test('a condition sees an attribute the step before it updated', async () => {
    const { steps } = await runFor(
      {
        nodes: [
          hook,
          n('update', 'crm.update-contact', { attributes: { plan: 'pro' } }),
          n('cond', 'core.condition', { filter: { attr: 'plan', op: 'eq', value: 'pro' } }),
          n('yes', 'core.exit', { goal: 'pro' }),
          n('no', 'core.exit', { goal: 'free' }),
        ],
        edges: [e('hook', 'update'), e('update', 'cond'), e('cond', 'yes', 'yes'), e('cond', 'no', 'no')],
      },
      { plan: 'free' },
    );
    expect(steps.map((s) => s.node_id)).toEqual(['hook', 'update', 'cond', 'yes']);
  });

  test('a condition sees list membership the step before it added', async () => {
    const { steps } = await runFor({
      nodes: [
        hook,
        n('list', 'crm.list', { action: 'add', list: 'newsletter' }),
        n('cond', 'core.condition', { filter: { list: 'newsletter', op: 'member' } }),
        n('yes', 'core.exit', { goal: 'member' }),
        n('no', 'core.exit', { goal: 'outsider' }),
      ],
      edges: [e('hook', 'list'), e('list', 'cond'), e('cond', 'yes', 'yes'), e('cond', 'no', 'no')],
    });
    expect(steps.map((s) => s.node_id)).toEqual(['hook', 'list', 'cond', 'yes']);
  });
});
