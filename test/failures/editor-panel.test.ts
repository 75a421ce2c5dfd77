import { defineNode, definePackage, NodeError } from '@waymark/sdk';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { e, n, runEnds } from '../engine/support.js';
import { type EditorSession, hasChromium, openEditor } from '../support/browser.js';
import { TEST_TOKEN } from '../support/runtime.js';
import { start } from './support.js';

/** A gate that refuses while closed: the "CRM" is down until the test opens it. */
const gate = { open: false };
const gatePackage = definePackage({
  name: 'gate-nodes',
  version: '1.0.0',
  nodes: [
    defineNode({
      type: 'gate.trigger',
      version: 1,
      kind: 'trigger',
      title: 'Start',
      description: '',
      category: 'Test',
      params: { type: 'object' },
      outputs: ['out'],
      async run() {
        return { next: 'out' };
      },
    }),
    defineNode({
      type: 'gate.sync',
      version: 1,
      kind: 'action',
      title: 'Sync to CRM',
      description: '',
      category: 'Test',
      params: { type: 'object' },
      outputs: ['out'],
      async run() {
        if (!gate.open) throw new NodeError('the CRM refused the contact', { code: 'gate.closed' });
        return { next: 'out' };
      },
    }),
  ],
});

const at = (node: ReturnType<typeof n>, x: number) => ({ ...node, position: { x, y: 100 } });
const graph = {
  nodes: [at(n('t', 'gate.trigger'), 0), at(n('sync', 'gate.sync'), 300), at(n('done', 'gate.sync'), 600)],
  edges: [e('t', 'sync'), e('sync', 'done')],
};
const node = (page: Page, id: string) => page.locator(`.svelte-flow__node[data-id="${id}"] .wm-node`);
const handles = async (page: Page, id: string) =>
  (await node(page, id).locator('.output').allTextContents()).map((text) => text.trim());

describe.skipIf(!hasChromium)('failures in the editor', () => {
  let s: EditorSession;
  let worker: WorkerHandle;
  let journeyId: string;
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };

  beforeAll(async () => {
    s = await openEditor();
    s.base.runtime.registry.add(gatePackage);
    worker = await startWorker(s.base.runtime, { pollInterval: 100 });
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: { name: 'CRM sync', graph },
    });
    journeyId = created.json().id;
    await s.app.inject({ method: 'POST', url: `/api/journeys/${journeyId}/publish`, headers: auth });
    for (let i = 0; i < 2; i++) {
      const runId = await start({ ...s.base, app: s.app, auth }, { journeyId, version: 1 });
      await runEnds(s.base.runtime.db, runId);
    }
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await s?.close();
  });

  test('the node form sets On error and retry; "Error output" shows the error handle', async () => {
    const { page } = s;
    await page.goto(`${s.url}/journeys/${journeyId}?token=${TEST_TOKEN}`);
    await node(page, 'sync').click();
    const form = page.getByTestId('node-settings');
    expect(await handles(page, 'sync')).toEqual(['out']);
    await form.getByLabel('On error').selectOption('output');
    await expect.poll(() => handles(page, 'sync')).toEqual(['out', 'error']);
    await form.getByLabel('Attempts').fill('3');
    await form.getByLabel('Attempts').press('Tab');
    // Saved with the draft, as the API takes it.
    const draftSettings = async () => {
      const res = await s.app.inject({ url: `/api/journeys/${journeyId}`, headers: auth });
      return res.json().draft.graph.nodes.find((x: { id: string }) => x.id === 'sync')?.settings;
    };
    await expect.poll(draftSettings, { timeout: 10_000 }).toEqual({ onError: 'output', retry: { attempts: 3 } });
    await form.getByLabel('On error').selectOption('fail');
    await expect.poll(() => handles(page, 'sync')).toEqual(['out']);
  });

  test('a node whose stored settings are not an object shows an empty form, and a change saves only what it sets', async () => {
    const { page } = s;
    // A draft takes any JSON as a node's settings: a string, an array, a retry that is a string.
    const stored = { sync: 'retry 3 times', done: { onError: 'continue', retry: 'PT5S' }, t: ['output'] };
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: {
        name: 'Odd settings',
        graph: {
          ...graph,
          nodes: graph.nodes.map((x) => ({ ...x, settings: stored[x.id as keyof typeof stored] })),
        },
      },
    });
    const id = created.json().id;
    const settingsOf = async (nodeId: string) => {
      const res = await s.app.inject({ url: `/api/journeys/${id}`, headers: auth });
      return res.json().draft.graph.nodes.find((x: { id: string }) => x.id === nodeId)?.settings;
    };
    await page.goto(`${s.url}/journeys/${id}?token=${TEST_TOKEN}`);
    await node(page, 'sync').click();
    const form = page.getByTestId('node-settings');
    expect(await form.getByLabel('On error').inputValue()).toBe('fail');
    for (const label of ['Attempts', 'Backoff', 'Max backoff'])
      expect(await form.getByLabel(label, { exact: true }).inputValue()).toBe('');
    await form.getByLabel('Attempts').fill('3');
    await form.getByLabel('Attempts').press('Tab');
    await expect.poll(() => settingsOf('sync'), { timeout: 10_000 }).toEqual({ retry: { attempts: 3 } });

    await node(page, 'done').click();
    expect(await form.getByLabel('On error').inputValue()).toBe('continue');
    expect(await form.getByLabel('Backoff', { exact: true }).inputValue()).toBe('');
    await form.getByLabel('Max backoff').fill('PT1M');
    await form.getByLabel('Max backoff').press('Tab');
    await expect
      .poll(() => settingsOf('done'), { timeout: 10_000 })
      .toEqual({ onError: 'continue', retry: { maxBackoff: 'PT1M' } });
  });

  test('shows the failed count in red; its panel groups the errors, shows a failing step and retries the group', async () => {
    const { page } = s;
    await page.goto(`${s.url}/journeys/${journeyId}?token=${TEST_TOKEN}`);
    await page.getByRole('button', { name: 'Live view' }).click();
    const count = node(page, 'sync').getByTestId('failed-count');
    await expect.poll(() => count.textContent(), { timeout: 10_000 }).toBe('2 failed');
    await count.click();

    const panel = page.getByTestId('failures-panel');
    const group = panel.getByTestId('failure-group');
    await expect.poll(() => group.count()).toBe(1);
    expect(await group.getAttribute('data-code')).toBe('gate.closed');
    expect(await group.locator('.count').textContent()).toBe('2');
    expect(await group.locator('.message').textContent()).toBe('the CRM refused the contact');

    await group.getByRole('button', { name: 'Failing step' }).click();
    await expect.poll(() => panel.getByTestId('failing-step').textContent()).toContain('"code": "gate.closed"');

    gate.open = true;
    await group.getByRole('button', { name: 'Retry group' }).click();
    const confirm = panel.getByTestId('retry-confirm');
    await expect.poll(() => confirm.textContent()).toContain('2 runs match now');
    await confirm.getByRole('button', { name: 'Retry 2' }).click();
    const job = panel.getByTestId('retry-job');
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 10_000 }).toBe('completed');
    await expect.poll(() => job.textContent(), { timeout: 10_000 }).toContain('2 of 2 retried');
    await expect.poll(() => count.count(), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => panel.textContent()).toContain('No run is failed at this node now.');
  });

  test('a failed run opened in the Runs tab shows where it failed and retries from there', async () => {
    const { page } = s;
    gate.open = false;
    const runId = await start({ ...s.base, app: s.app, auth }, { journeyId, version: 1 });
    await runEnds(s.base.runtime.db, runId);
    await page.goto(`${s.url}/journeys/${journeyId}?token=${TEST_TOKEN}`);
    await page.getByRole('button', { name: 'Live view' }).click();
    await page.getByRole('tab', { name: 'Runs' }).click();
    await page.locator('tr.clickable', { hasText: 'failed' }).first().click();
    await expect.poll(() => page.locator('.error-text').first().textContent()).toContain('the CRM refused the contact');
    gate.open = true;
    await page.getByRole('button', { name: 'Retry from sync' }).click();
    const { run } = await runEnds(s.base.runtime.db, runId, ['completed']);
    expect(run.status).toBe('completed');
  });
});
