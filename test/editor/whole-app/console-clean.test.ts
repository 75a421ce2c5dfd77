import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n } from '../../engine/support.js';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

// Every page of the editor, under the server's real Content-Security-Policy, in Chromium:
// nothing it needs may be refused (a validator that compiles with `new Function` was, and every
// node's form said so), and no page throws.
describe.skipIf(!hasChromium)('the editor in the browser', () => {
  let s: EditorSession;
  let journeyId: string;
  const problems: string[] = [];

  beforeAll(async () => {
    s = await openEditor();
    const graph = {
      nodes: [
        n('hook', 'core.webhook', { secret: 'a-secret-of-16-chars' }),
        n('cond', 'core.condition', { filter: { attr: 'plan', op: 'eq', value: 'pro' } }),
        n('split', 'core.split', {
          variants: [
            { key: 'a', weight: 50 },
            { key: 'b', weight: 50 },
          ],
        }),
        n('wait', 'core.wait', { duration: 'P1D' }),
        n('call', 'http.request', { method: 'POST', url: 'https://example.com/hook' }),
        n('mail', 'email.send', { from: 'a@example.com', subject: 'Hi', html: '<p>Hi</p>', category: 'marketing' }),
      ],
      edges: [
        e('hook', 'cond'),
        e('cond', 'split', 'yes'),
        e('split', 'wait', 'a'),
        e('wait', 'call'),
        e('call', 'mail', 'ok'),
      ],
    };
    const made = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
      payload: { name: 'Every node', graph },
    });
    journeyId = made.json().id;
    s.page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    s.page.on('pageerror', (error) => problems.push(error.message));
    await s.page.goto(`${s.url}/?token=${TEST_TOKEN}`);
  }, 120_000);
  afterAll(() => s?.close());

  test('opens each node of a journey with nothing refused, thrown or flagged', async () => {
    await s.page.goto(`${s.url}/journeys/${journeyId}`);
    for (const id of ['hook', 'cond', 'split', 'wait', 'call', 'mail']) {
      await s.page.locator(`.svelte-flow__node[data-id="${id}"]`).click();
      await expect.poll(() => s.page.getByText(`${id} · `).count()).toBeGreaterThan(0);
      expect(await s.page.locator('.error-text[role="alert"]').allTextContents(), id).toEqual([]);
    }
    expect(problems).toEqual([]);
  });

  test('opens every page with nothing refused or thrown', async () => {
    for (const page of ['journeys', 'contacts', 'outbox', 'team', 'history', 'packages', 'templates']) {
      await s.page.goto(`${s.url}/${page}`);
      await s.page.waitForLoadState('networkidle');
    }
    expect(problems).toEqual([]);
  });
});
