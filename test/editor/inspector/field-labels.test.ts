import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n } from '../../engine/support.js';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

// The inspector's fields as a screen reader (and Playwright's getByLabel) finds them: each
// control is named by its field's label, and reads the field's description and errors with it.
describe.skipIf(!hasChromium)('the inspector’s field labels', () => {
  let s: EditorSession;
  let journeyId: string;

  beforeAll(async () => {
    s = await openEditor();
    const graph = {
      nodes: [
        n('hook', 'core.webhook', { secret: 'a-secret-of-16-chars' }),
        n('tag', 'crm.tag', { action: 'add', tag: 'vip' }),
        n('split', 'core.split', {
          variants: [
            { key: 'a', weight: 50 },
            { key: 'b', weight: 50 },
          ],
        }),
      ],
      edges: [e('hook', 'tag'), e('tag', 'split')],
    };
    const made = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
      payload: { name: 'Labels', graph },
    });
    journeyId = made.json().id;
    await s.page.goto(`${s.url}/?token=${TEST_TOKEN}`);
    await s.page.goto(`${s.url}/journeys/${journeyId}`);
  }, 120_000);
  afterAll(() => s?.close());

  const open = async (id: string) => {
    await s.page.locator(`.svelte-flow__node[data-id="${id}"]`).click();
    await expect.poll(() => s.page.getByText(`${id} · `).count()).toBeGreaterThan(0);
  };
  /** The text of the elements a control's aria-describedby names. */
  const description = (label: string) =>
    s.page.getByLabel(label, { exact: true }).evaluate((el) =>
      (el.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .filter(Boolean)
        .map((id) => document.getElementById(id)?.textContent?.trim())
        .join(' | '),
    );

  test('name each control by its field’s label', async () => {
    await open('tag');
    expect(await s.page.getByLabel('Tag', { exact: true }).inputValue()).toBe('vip');
    expect(await s.page.getByRole('combobox', { name: 'Action', exact: true }).inputValue()).not.toBe('');
  });

  test('name a field of several controls as a group', async () => {
    await open('tag');
    expect(await s.page.getByRole('group', { name: 'Expires after', exact: true }).count()).toBe(1);
    await open('split');
    const variants = s.page.getByRole('group', { name: 'Variants', exact: true });
    expect(await variants.getByRole('button', { name: 'Remove #2' }).count()).toBe(1);
  });

  test('mark a required field required, without the asterisk in its name', async () => {
    await open('tag');
    expect(await s.page.getByLabel('Tag', { exact: true }).getAttribute('aria-required')).toBe('true');
  });

  test('read a field’s description, and its errors once it has some', async () => {
    await open('hook');
    expect(await description('Secret')).toBe('Sent as X-Waymark-Secret or used for the HMAC signature');
    await s.page.getByLabel('Secret', { exact: true }).fill('short');
    await expect
      .poll(() => description('Secret'))
      .toBe('Sent as X-Waymark-Secret or used for the HMAC signature | must NOT have fewer than 16 characters');
  });
});
