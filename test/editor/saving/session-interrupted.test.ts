import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const graph = (value: string) => ({
  nodes: [{ id: 'tag', type: 'crm.tag', version: 1, params: { action: 'add', tag: value }, position: { x: 0, y: 0 } }],
  edges: [],
});

// A token revoked (or a session ended) while a journey is being edited: the sign-in covers the
// page rather than replacing it, so the edit the server refused is saved once let in again.
describe.skipIf(!hasChromium)('a session refused mid-edit', () => {
  const t = editorPagePerTest();

  const draftTag = async (id: string) =>
    (await t.s.app.inject({ url: `/api/journeys/${id}`, headers: auth })).json().draft.graph.nodes[0].params.tag;

  /** Opens a journey with a token of its own, then revokes that token. */
  async function openThenRevoke(name: string): Promise<string> {
    const token = (
      await t.s.app.inject({ method: 'POST', url: '/api/tokens', headers: auth, payload: { name } })
    ).json();
    const res = await t.s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: { name, graph: graph('first') },
    });
    const id: string = res.json().id;
    await t.page.goto(`${t.s.url}/journeys/${id}?token=${token.token}`);
    await t.page.locator('.svelte-flow__node[data-id="tag"]').click();
    await t.s.app.inject({ method: 'DELETE', url: `/api/tokens/${token.id}`, headers: auth });
    return id;
  }

  test('asks to sign in over the journey, and saves the refused edit once a valid token is given', async () => {
    const id = await openThenRevoke('Revoked');
    await t.page.getByLabel('Tag', { exact: true }).fill('kept');
    const dialog = t.page.getByRole('dialog', { name: 'Sign in again' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('The server refused the token');
    expect(await draftTag(id)).toBe('first');

    await dialog.getByPlaceholder('Token').fill(TEST_TOKEN);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => draftTag(id)).toBe('kept');
    expect(await dialog.count()).toBe(0);
    expect(await t.page.locator('.save[role="status"]').textContent()).toBe('Saved');
  });

  test('signing out still leaves the page for the sign-in page', async () => {
    await openThenRevoke('Signed out');
    await t.page.getByRole('button', { name: 'Sign out' }).click();
    await t.page.getByRole('heading', { name: 'Sign in to Waymark' }).waitFor();
    expect(await t.page.locator('.svelte-flow').count()).toBe(0);
    expect(await t.page.getByRole('dialog', { name: 'Sign in again' }).count()).toBe(0);
  });
});
