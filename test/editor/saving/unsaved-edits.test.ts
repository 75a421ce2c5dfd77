import type { Dialog, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

// Templates and forms are versioned (each save a new version), so they are not autosaved as a
// journey's draft is: an edit waits for Save, and leaving the page before it asks first.
describe.skipIf(!hasChromium)('unsaved template and form edits', () => {
  let s: EditorSession;
  let page: Page;
  let asked: string[];
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };

  const templateVersion = async (id: string) =>
    (await s.app.inject({ method: 'GET', url: `/api/templates/${id}`, headers: auth })).json().version;

  /** Notes every dialog the page raises and answers it as a user who stays on the page. */
  function stayWhenAsked(): void {
    page.on('dialog', (dialog: Dialog) => {
      asked.push(dialog.type());
      // The dialog may be gone before the answer reaches it (the test's page closed after its
      // last assertion): nothing is left to dismiss then.
      dialog.dismiss().catch(() => undefined);
    });
  }

  async function openTemplate(id: string): Promise<void> {
    await s.app.inject({
      method: 'PUT',
      url: `/api/templates/${id}`,
      headers: auth,
      payload: { name: id, format: 'html', subject: 'Hello', body: '<p>Hello</p>' },
    });
    await page.goto(`${s.url}/templates/${id}`);
    await expect.poll(() => page.getByLabel('Subject').inputValue(), { timeout: 15_000 }).toBe('Hello');
  }

  beforeAll(async () => {
    s = await openEditor();
  }, 120_000);
  afterAll(() => s?.close());
  // A fresh browser each time: the last test's page may hold unsaved edits.
  beforeEach(async () => {
    asked = [];
    page = await (await s.browser.newContext()).newPage();
    await page.goto(`${s.url}/?token=${TEST_TOKEN}`);
    await page.getByRole('heading', { name: 'Journeys' }).waitFor({ timeout: 15_000 });
  });
  afterEach(() => page.context().close());

  test('an edited template says it has unsaved changes', async () => {
    await openTemplate('says');
    await page.getByLabel('Subject').fill('Hello again');
    await page.getByText('Unsaved changes').waitFor({ timeout: 5_000 });
  });

  test('leaving an edited template asks first, and staying keeps the edit', async () => {
    await openTemplate('asks');
    stayWhenAsked();
    await page.getByLabel('Subject').fill('Hello again');
    await page.getByRole('link', { name: 'Journeys', exact: true }).click();
    await expect.poll(() => asked).toEqual(['confirm']);
    expect(new URL(page.url()).pathname).toBe('/templates/asks');
    expect(await page.getByLabel('Subject').inputValue()).toBe('Hello again');
    expect(await templateVersion('asks')).toBe(1);
  });

  test('reloading an edited template asks first', async () => {
    await openTemplate('reloads');
    stayWhenAsked();
    await page.getByLabel('Subject').fill('Hello again');
    // A dismissed beforeunload prompt keeps the page: the reload never finishes.
    await page.reload({ timeout: 2_000 }).catch(() => undefined);
    expect(asked).toEqual(['beforeunload']);
    expect(await page.getByLabel('Subject').inputValue()).toBe('Hello again');
  });

  test('signing out of an edited template asks first, and staying keeps the edit and the session', async () => {
    await openTemplate('signs-out');
    stayWhenAsked();
    await page.getByLabel('Subject').fill('Hello again');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => asked).toEqual(['confirm']);
    expect(new URL(page.url()).pathname).toBe('/templates/signs-out');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved as version 2').waitFor({ timeout: 10_000 });
    expect(asked).toEqual(['confirm']);
  });

  test('a saved template is left without asking', async () => {
    await openTemplate('saved');
    stayWhenAsked();
    await page.getByLabel('Subject').fill('Hello again');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved as version 2').waitFor({ timeout: 10_000 });
    await page.getByRole('link', { name: 'Journeys', exact: true }).click();
    await page.getByRole('heading', { name: 'Journeys' }).waitFor({ timeout: 10_000 });
    expect(asked).toEqual([]);
  });

  test('leaving an edited form asks first, and staying keeps the edit', async () => {
    await page.goto(`${s.url}/forms/signup`);
    const title = page.getByLabel(/^Title/);
    await title.waitFor({ timeout: 15_000 });
    stayWhenAsked();
    await title.fill('Changed');
    await page.getByText('Unsaved changes').waitFor({ timeout: 5_000 });
    await page.getByRole('link', { name: 'Templates', exact: true }).click();
    await expect.poll(() => asked).toEqual(['confirm']);
    expect(new URL(page.url()).pathname).toBe('/forms/signup');
    expect(await title.inputValue()).toBe('Changed');
  });

  test('an untouched form is left without asking', async () => {
    await page.goto(`${s.url}/forms/untouched`);
    await page.getByLabel(/^Title/).waitFor({ timeout: 15_000 });
    stayWhenAsked();
    await page.getByRole('link', { name: 'Templates', exact: true }).click();
    await page.getByRole('heading', { name: 'Email templates' }).waitFor({ timeout: 10_000 });
    expect(asked).toEqual([]);
  });
});
