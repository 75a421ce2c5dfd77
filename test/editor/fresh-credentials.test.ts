import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../support/browser.js';
import { TEST_TOKEN } from '../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const sms = (id: string, y: number) => ({
  id,
  type: 'sms.send',
  version: 1,
  params: { body: 'Hi', category: 'marketing' },
  position: { x: 0, y },
});

// Credentials are made outside the editor (POST /api/credentials): one made while a journey is
// open is offered by the next node opened, without reloading the page.
describe.skipIf(!hasChromium)('the inspector’s credentials', () => {
  let s: EditorSession;

  beforeAll(async () => {
    s = await openEditor();
    s.page.setDefaultTimeout(10_000);
  }, 120_000);
  afterAll(() => s?.close());

  test('a credential made while the journey is open is offered by the next node opened', async () => {
    const { page } = s;
    const graph = { nodes: [sms('first', 0), sms('second', 300)], edges: [] };
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: { name: 'Senders', graph },
    });
    await page.goto(`${s.url}/journeys/${res.json().id}?token=${TEST_TOKEN}`);
    await page.locator('.svelte-flow__node[data-id="first"]').click();
    const sender = page.getByLabel('Sender');
    await expect.poll(() => sender.locator('option').allTextContents()).toEqual(['Choose a credential']);

    await s.app.inject({
      method: 'POST',
      url: '/api/credentials',
      headers: auth,
      payload: { name: 'Gateway', type: 'sms.http-gateway', data: { url: 'https://sms.example.com/send' } },
    });
    await page.locator('.svelte-flow__node[data-id="second"]').click();
    await expect
      .poll(() => sender.locator('option').allTextContents())
      .toEqual(['Choose a credential', 'Gateway (sms.http-gateway)']);
  });
});
