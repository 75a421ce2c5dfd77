import { beforeAll, describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };

// An opened contact shows its tags and lists as GET /api/contacts/:id sends them: full records.
describe.skipIf(!hasChromium)('an opened contact', () => {
  const t = editorPagePerTest();

  beforeAll(async () => {
    const created = await t.s.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: auth,
      payload: { email: 'tagged@example.com' },
    });
    const { id } = created.json() as { id: string };
    for (let i = 0; i < 2; i++)
      await t.s.app.inject({ method: 'POST', url: `/api/contacts/${id}/tags`, headers: auth, payload: { tag: 'vip' } });
    await t.s.app.inject({
      method: 'POST',
      url: `/api/contacts/${id}/lists`,
      headers: auth,
      payload: { list: 'weekly' },
    });
  });

  const open = async () => {
    await t.page.goto(`${t.s.url}/contacts?token=${TEST_TOKEN}`);
    await t.page.locator('tbody tr', { hasText: 'tagged@example.com' }).click();
    const opened = t.page.getByRole('complementary', { name: 'Contact' });
    await opened.getByRole('heading', { level: 2, name: 'tagged@example.com' }).waitFor();
    return opened;
  };

  test('shows each tag with how often it was added', async () => {
    const opened = await open();
    expect(await opened.getByRole('heading', { name: 'Tags (1)' }).count()).toBe(1);
    const row = opened.locator('tbody tr', { hasText: 'vip' });
    expect(await row.locator('td').nth(1).textContent()).toBe('2');
    expect(await row.getByText('inactive').count()).toBe(0);
  });

  test('shows each list it is on, with since when', async () => {
    const opened = await open();
    expect(await opened.getByRole('heading', { name: 'Lists (1)' }).count()).toBe(1);
    const item = opened.getByRole('listitem').filter({ hasText: 'weekly' });
    expect(await item.textContent()).toMatch(/^weekly since \S/);
  });
});
