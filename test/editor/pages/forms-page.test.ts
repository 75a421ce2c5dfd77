import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

// contracts/content.md "Forms": the editor lists the workspace's forms (GET /api/forms) as it
// lists templates, behind a nav link, and opens each in its editor.
describe.skipIf(!hasChromium)('the Forms page', () => {
  let s: EditorSession;

  beforeAll(async () => {
    s = await openEditor();
    await s.app.inject({
      method: 'PUT',
      url: '/api/forms/newsletter',
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
      payload: {
        name: 'Newsletter',
        fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
      },
    });
    await s.page.goto(`${s.url}/?token=${TEST_TOKEN}`);
    await s.page.getByRole('heading', { name: 'Journeys' }).waitFor({ timeout: 15_000 });
  }, 120_000);
  afterAll(() => s?.close());

  test('the Forms link lists the stored forms', async () => {
    await s.page.getByRole('link', { name: 'Forms', exact: true }).click();
    const row = s.page.getByRole('row', { name: /newsletter/ });
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('Newsletter');
  });

  test('a listed form opens in its editor', async () => {
    await s.page.goto(`${s.url}/forms`);
    await s.page.getByRole('link', { name: 'newsletter' }).click();
    await s.page.getByRole('heading', { name: 'Form newsletter' }).waitFor({ timeout: 10_000 });
    await s.page.getByText(/^Version 1:/).waitFor();
    await s.page.getByRole('button', { name: 'Edit as JSON' }).click();
    await expect
      .poll(() => s.page.getByLabel('Form definition').inputValue(), { timeout: 10_000 })
      .toContain('"Newsletter"');
  });

  test('a new form id opens an empty form to fill in', async () => {
    await s.page.goto(`${s.url}/forms`);
    await s.page.getByLabel('New form id').fill('contest');
    await s.page.getByRole('button', { name: 'New form' }).click();
    await s.page.getByRole('heading', { name: 'Form contest' }).waitFor({ timeout: 10_000 });
  });

  test('a new form id pasted with spaces around it opens that form', async () => {
    await s.page.goto(`${s.url}/forms`);
    await s.page.getByLabel('New form id').fill('  spring-sale \n');
    await s.page.getByRole('button', { name: 'New form' }).click();
    await s.page.getByRole('heading', { name: 'Form spring-sale' }).waitFor({ timeout: 10_000 });
  });

  test('an id that cannot be one is named, under the box that keeps it', async () => {
    await s.page.goto(`${s.url}/forms`);
    await s.page.getByLabel('New form id').fill('My Signup Form!');
    await s.page.getByRole('button', { name: 'New form' }).click();
    const box = s.page.getByLabel('New form id');
    expect(await box.getAttribute('aria-invalid')).toBe('true');
    expect(await s.page.locator(`#${await box.getAttribute('aria-describedby')}`).textContent()).toBe(
      '"My Signup Form!" cannot be a form id. An id is 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit.',
    );
    expect(await box.inputValue()).toBe('My Signup Form!');
    await box.fill('');
    await s.page.getByRole('button', { name: 'New form' }).click();
    expect(await s.page.getByRole('alert').textContent()).toBe('Type an id for the new form.');
    expect(new URL(s.page.url()).pathname).toBe('/forms');
  });
});
