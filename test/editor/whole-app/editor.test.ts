import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

// Drops a palette item on the canvas the way a browser drag does: the payload is the type name.
async function drop(page: Page, type: string, x: number, y: number): Promise<void> {
  await page.evaluate(
    ({ type, x, y }) => {
      const data = new DataTransfer();
      data.setData('application/x-waymark-node', type);
      const canvas = document.querySelector('.canvas')!;
      for (const name of ['dragenter', 'dragover', 'drop']) {
        canvas.dispatchEvent(
          new DragEvent(name, { dataTransfer: data, clientX: x, clientY: y, bubbles: true, cancelable: true }),
        );
      }
    },
    { type, x, y },
  );
}

async function connect(page: Page, from: string, to: string): Promise<void> {
  const source = await page
    .locator(`.svelte-flow__node[data-id="${from}"] .svelte-flow__handle.source`)
    .first()
    .boundingBox();
  const target = await page.locator(`.svelte-flow__node[data-id="${to}"] .svelte-flow__handle.target`).boundingBox();
  await page.mouse.move(source!.x + 4, source!.y + 4);
  await page.mouse.down();
  await page.mouse.move(target!.x + 4, target!.y + 4, { steps: 8 });
  await page.mouse.up();
}

describe.skipIf(!hasChromium)('editor in the browser', () => {
  let session: EditorSession;
  let app: EditorSession['app'];
  let page: Page;
  let url: string;

  beforeAll(async () => {
    session = await openEditor();
    ({ app, page, url } = session);
  }, 120_000);

  afterAll(() => session?.close());

  test('asks for the API token, then keeps it and strips it from the address', async () => {
    await page.goto(`${url}/`);
    await page.getByPlaceholder('Token').fill(TEST_TOKEN);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Journeys' }).isVisible()).toBe(true);
    await page.goto(`${url}/outbox?token=${TEST_TOKEN}`);
    await expect.poll(() => page.url()).toBe(`${url}/outbox`);
    expect(await page.evaluate(() => localStorage.getItem('waymark.token'))).toBe(TEST_TOKEN);
  });

  test('draws a journey whose autosaved draft is the API graph shape, and publishes it', async () => {
    await page.goto(`${url}/`);
    await page.getByLabel('New journey name').fill('Browser test');
    await page.getByRole('button', { name: 'Create journey' }).click();
    await page.waitForURL(/\/journeys\//);
    const id = page.url().split('/').pop()!;
    const box = (await page.locator('.svelte-flow').boundingBox())!;
    await drop(page, 'core.webhook', box.x + 150, box.y + 200);
    await drop(page, 'crm.tag', box.x + 500, box.y + 200);
    const ids = await page
      .locator('.svelte-flow__node')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-id')!));
    await connect(page, ids[0], ids[1]);
    await expect.poll(() => page.locator('.svelte-flow__edge').count()).toBe(1);
    // A trigger has no target handle at all, and an edge back into it is refused while dragging.
    expect(await page.locator(`.svelte-flow__node[data-id="${ids[0]}"] .svelte-flow__handle.target`).count()).toBe(0);
    await page.locator(`.svelte-flow__node[data-id="${ids[0]}"]`).click();
    await page.locator('.side input[type=text]').first().fill('a-long-enough-webhook-secret');
    await page.locator(`.svelte-flow__node[data-id="${ids[1]}"]`).click();
    await page.locator('.side input[type=text]').first().fill('welcomed');
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 10_000 }).toBe('Saved');

    // "Saved" may still show the save before the last edit: wait for the draft to hold it.
    const draft = async () =>
      (await app.inject({ url: `/api/journeys/${id}`, headers: { authorization: `Bearer ${TEST_TOKEN}` } })).json()
        .draft;
    await expect.poll(async () => (await draft()).graph.nodes[1]?.params?.tag, { timeout: 10_000 }).toBe('welcomed');
    const graph = (await draft()).graph;
    expect(graph.edges).toEqual([{ id: expect.any(String), source: ids[0], sourceHandle: 'out', target: ids[1] }]);
    expect(Object.keys(graph.nodes[0]).sort()).toEqual(['id', 'params', 'position', 'type', 'version']);
    expect(graph.nodes[1].params).toMatchObject({ action: 'add', tag: 'welcomed' });

    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await expect.poll(() => page.getByText('Published version 1.').isVisible()).toBe(true);
  });
  test('opens the live feed with a single-use ticket, never the token, and breaks no rule of its CSP', async () => {
    const sockets: string[] = [];
    const violations: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.reload();
    await page.getByRole('button', { name: 'Live view' }).click();
    await expect.poll(() => page.getByRole('button', { name: '● Live' }).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(sockets.length).toBeGreaterThan(0);
    for (const socket of sockets) {
      expect(socket).toMatch(/[?&]ticket=wmt_/);
      expect(socket).not.toContain(TEST_TOKEN);
    }
    expect(violations).toEqual([]);
  });
});
