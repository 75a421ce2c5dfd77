import type { Response } from 'playwright-core';
import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };

// The Contacts page counts a segment as it is built (GET /api/contacts?segment=…). A segment still
// being built is not sent: the marketer is told to finish it, not shown an error. A finished
// segment the server refuses still says why.
describe.skipIf(!hasChromium)('the count of a segment being built', () => {
  const t = editorPagePerTest();
  let refused: Response[];

  beforeAll(async () => {
    for (const email of ['ada@example.com', 'grace@example.com', 'linus@example.org'])
      await t.s.app.inject({ method: 'POST', url: '/api/contacts', headers: auth, payload: { email } });
  });
  beforeEach(async () => {
    refused = [];
    t.page.on('response', (res) => {
      if (res.url().includes('/api/contacts') && res.status() >= 400) refused.push(res);
    });
    await t.page.goto(`${t.s.url}/contacts?token=${TEST_TOKEN}`);
    await t.page.getByRole('heading', { name: 'Contacts' }).waitFor();
  });

  const builder = () => t.page.locator('.builder');
  const count = () => builder().getByRole('status').textContent();
  const pageError = () => t.page.locator('p.error-text');
  /** Builds "email contains <text>" from an empty builder. */
  async function emailContains(text: string): Promise<void> {
    await builder().getByRole('button', { name: '+ Add filter' }).click();
    await builder().getByLabel('attr name').fill('email');
    await builder().getByLabel('Operator').selectOption('contains');
    await builder().getByLabel('Value').fill(text);
  }

  test('a clause added but not filled in says to finish the filter, and shows no error', async () => {
    await builder().getByRole('button', { name: '+ Add filter' }).click();
    await expect.poll(count).toBe('Finish the filter to see a count.');
    await t.page.waitForTimeout(600);
    expect(refused).toEqual([]);
    expect(await pageError().count()).toBe(0);
  });

  test('a filter finished as it is typed shows its count', async () => {
    await emailContains('example.com');
    await expect.poll(count).toBe('2 matching');
    expect(refused).toEqual([]);
  });

  test('emptying a finished clause again hides its old count behind the hint', async () => {
    await emailContains('example');
    await expect.poll(count).toBe('3 matching');
    await builder().getByLabel('attr name').fill('');
    await expect.poll(count).toBe('Finish the filter to see a count.');
    await t.page.waitForTimeout(600);
    expect(refused).toEqual([]);
  });

  /** Builds "purchase fewer than 0 times": whole by the builder's check, refused by the server's. */
  async function fewerThanNoPurchase(): Promise<void> {
    await builder().getByRole('button', { name: '+ Add filter' }).click();
    await builder().getByRole('button', { name: 'Remove clause' }).click();
    await builder().getByLabel('Add clause').selectOption('event');
    await builder().getByLabel('event name').fill('purchase');
    await builder().getByLabel('Count comparison').selectOption('lt');
    await builder().getByLabel('Count', { exact: true }).fill('0');
  }

  test("a finished filter the server refuses shows the server's reason", async () => {
    await fewerThanNoPurchase();
    await expect
      .poll(() => pageError().textContent())
      .toBe('the segment filter is invalid: {"lt":0} matches no count of events');
    expect(refused.map((r) => r.status())).toContain(400);
  });

  test('the refusal is an alert, so a screen reader says it', async () => {
    await fewerThanNoPurchase();
    await expect
      .poll(() => t.page.getByRole('alert').textContent())
      .toBe('the segment filter is invalid: {"lt":0} matches no count of events');
  });
});
