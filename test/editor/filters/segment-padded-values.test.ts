import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };

// A filter value is compared as written (a value may hold spaces on purpose), so "plan equals
// 'pro '" matches no contact whose plan is "pro". The builder says so beside the clause; it
// never refuses the value, and the count still comes.
describe.skipIf(!hasChromium)('a filter value with a space at either end', () => {
  const t = editorPagePerTest();

  beforeAll(async () => {
    for (const [email, plan] of [
      ['ada@example.com', 'pro'],
      ['grace@example.com', 'pro'],
      ['linus@example.org', 'free'],
    ])
      await t.s.app.inject({
        method: 'POST',
        url: '/api/contacts',
        headers: auth,
        payload: { email, attributes: { plan } },
      });
  });
  beforeEach(async () => {
    await t.page.goto(`${t.s.url}/contacts?token=${TEST_TOKEN}`);
    await t.page.getByRole('heading', { name: 'Contacts' }).waitFor();
  });

  const builder = () => t.page.locator('.builder');
  const count = () => builder().getByRole('status').textContent();
  const note = () => builder().getByRole('note');
  async function planIs(value: string, op = 'eq'): Promise<void> {
    await builder().getByRole('button', { name: '+ Add filter' }).click();
    await builder().getByLabel('attr name').fill('plan');
    await builder().getByLabel('Operator').selectOption(op);
    await builder().getByLabel('Value').fill(value);
  }

  test('a trailing space is pointed out beside the clause', async () => {
    await planIs('pro ');
    await expect
      .poll(() => note().textContent())
      .toBe('Value "pro " begins or ends with a space: it matches only values with the same space.');
  });

  test('a leading space is pointed out too', async () => {
    await planIs(' pro');
    await expect.poll(() => note().textContent()).toContain('" pro" begins or ends with a space');
  });

  test('the value is kept as typed and counted, not refused', async () => {
    await planIs('pro ');
    await expect.poll(count).toBe('0 matching');
    expect(await builder().getByLabel('Value').inputValue()).toBe('pro ');
    expect(await t.page.locator('p.error-text').count()).toBe(0);
  });

  test('the same value without the space says nothing and counts its contacts', async () => {
    await planIs('pro');
    await expect.poll(count).toBe('2 matching');
    expect(await note().count()).toBe(0);
  });

  test('a padded entry of a list is named', async () => {
    await planIs('"pro ", free', 'in');
    await expect.poll(() => note().textContent()).toContain('"pro " begins or ends with a space');
  });
});
