import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

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
  const t = editorPagePerTest();

  test('a credential made while the journey is open is offered by the next node opened', async () => {
    const { s, page } = t;
    const graph = { nodes: [sms('first', 0), sms('second', 300)], edges: [] };
    await openJourney(s, page, 'Senders', graph);
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
