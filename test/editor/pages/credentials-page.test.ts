import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { createCredentialsService } from '../../../engine/credentials/service.js';
import { stepScope } from '../../channels/scope.js';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
// Each wait here is on a round trip to the server, slower on a busy machine.
const soon = { timeout: 10_000 };

// editor/README.md "Credentials": made, renamed, replaced and deleted in the editor, the form
// drawn from GET /api/credential-types with the inspector's fields.
describe.skipIf(!hasChromium)('the Credentials page', () => {
  const t = editorPagePerTest();

  const table = (page: Page) => page.getByRole('table', { name: 'Credentials' });
  const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });

  async function openPage(page: Page): Promise<void> {
    await page.goto(`${t.s.url}/credentials?token=${TEST_TOKEN}`);
    await page.getByRole('heading', { name: 'Credentials' }).waitFor();
  }

  async function newSmtp(page: Page, name: string): Promise<void> {
    await page.getByRole('button', { name: 'New credential' }).click();
    await field(page, 'Type').selectOption('email.smtp');
    await field(page, 'Name').fill(name);
    await field(page, 'Host').fill('smtp.example.com');
  }

  async function made(name: string): Promise<string> {
    const res = await t.s.app.inject({
      method: 'POST',
      url: '/api/credentials',
      headers: auth,
      payload: { name, type: 'email.smtp', data: { host: 'smtp.example.com', port: 587 } },
    });
    return res.json().id;
  }

  const stored = async (id: string) =>
    createCredentialsService(await stepScope(t.s.base.runtime), ['email.smtp']).get(id);

  test('creates an SMTP server through the form drawn from its type, its secrets typed unseen', async () => {
    const { page } = t;
    await openPage(page);
    await newSmtp(page, 'Office SMTP');
    expect(await field(page, 'Port').inputValue()).toBe('587');
    await field(page, 'User').fill('mailer');
    await field(page, 'Password').fill('hunter2-secret');
    expect(await field(page, 'Password').getAttribute('type')).toBe('password');
    expect(await field(page, 'Host').getAttribute('type')).toBe('text');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByRole('status').textContent(), soon).toBe('Created “Office SMTP”.');
    const row = table(page).getByRole('row').filter({ hasText: 'Office SMTP' });
    expect(await row.textContent()).toContain('SMTP server email.smtp');
    expect(await row.textContent()).toContain('email');
    expect(await page.content()).not.toContain('hunter2');
  });

  test('a field the server refuses shows its problem under that field, and nothing is made', async () => {
    const { page } = t;
    await openPage(page);
    await newSmtp(page, 'Bad port');
    await field(page, 'Port').fill('70000');
    await page.getByRole('button', { name: 'Create' }).click();
    const port = page.locator('[data-path="/data/port"]');
    await expect.poll(() => port.getByRole('alert').textContent(), soon).toBe('must be <= 65535');
    expect(await field(page, 'Port').getAttribute('aria-invalid')).toBe('true');
    expect(await table(page).textContent()).not.toContain('Bad port');
  });

  test('a blank name is refused under Name', async () => {
    const { page } = t;
    await openPage(page);
    await newSmtp(page, '   ');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect
      .poll(() => page.getByRole('form', { name: 'New credential' }).getByRole('alert').first().textContent(), soon)
      .toBe('must not be blank');
    expect(await field(page, 'Name').getAttribute('aria-invalid')).toBe('true');
  });

  test('Create waits for a type, saying so', async () => {
    const { page } = t;
    await openPage(page);
    await page.getByRole('button', { name: 'New credential' }).click();
    const create = page.getByRole('button', { name: 'Create' });
    expect(await create.isDisabled()).toBe(true);
    expect(await create.getAttribute('title')).toBe('Choose a type first');
    expect(await page.getByRole('form', { name: 'New credential' }).textContent()).toContain('Choose a type first.');
    await field(page, 'Type').selectOption('email.smtp');
    expect(await create.isEnabled()).toBe(true);
    expect(await page.getByRole('form', { name: 'New credential' }).textContent()).not.toContain('Choose a type first');
  });

  test('a name pasted with spaces around it is kept without them', async () => {
    const { page } = t;
    await openPage(page);
    await newSmtp(page, '  Pasted relay \n');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByRole('status').textContent(), soon).toBe('Created “Pasted relay”.');
    const list = await t.s.app.inject({ method: 'GET', url: '/api/credentials', headers: auth });
    expect(list.json().credentials.map((c: { name: string }) => c.name)).toContain('Pasted relay');
  });

  test('a name another credential has is pointed out, and may still be used', async () => {
    const { page } = t;
    await made('Main SMTP');
    await openPage(page);
    await newSmtp(page, 'main smtp ');
    const form = page.getByRole('form', { name: 'New credential' });
    expect(await form.textContent()).toContain(
      'Another credential is named “main smtp”: node settings would list both alike.',
    );
    await field(page, 'Name').fill('Backup SMTP');
    expect(await form.textContent()).not.toContain('Another credential is named');
  });

  test('leaving a half-typed credential asks first, and staying keeps what was typed', async () => {
    const { page } = t;
    await openPage(page);
    await newSmtp(page, 'Half typed');
    await field(page, 'Password').fill('typed-secret');
    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.dismiss();
    });
    await page.getByRole('navigation').getByRole('link', { name: 'Forms' }).click();
    await expect.poll(() => asked, soon).toContain('unsaved');
    expect(new URL(page.url()).pathname).toBe('/credentials');
    expect(await field(page, 'Name').inputValue()).toBe('Half typed');
    expect(await field(page, 'Password').inputValue()).toBe('typed-secret');
  });

  test('an untouched new-credential form is left without a question', async () => {
    const { page } = t;
    await openPage(page);
    await page.getByRole('button', { name: 'New credential' }).click();
    await field(page, 'Type').selectOption('email.smtp');
    let asked = false;
    page.once('dialog', (dialog) => {
      asked = true;
      void dialog.dismiss();
    });
    await page.getByRole('navigation').getByRole('link', { name: 'Forms' }).click();
    await page.getByRole('heading', { name: 'Signup forms' }).waitFor(soon);
    expect(asked).toBe(false);
  });

  test('renames a credential, keeping its data', async () => {
    const { page } = t;
    const id = await made('Old name');
    await openPage(page);
    await page.getByRole('button', { name: 'Edit Old name' }).click();
    expect(await field(page, 'Host').count()).toBe(0);
    await field(page, 'Name').fill('New name');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => table(page).textContent(), soon).toContain('New name');
    expect(await table(page).textContent()).not.toContain('Old name');
    expect(await stored(id)).toMatchObject({ host: 'smtp.example.com', port: 587 });
  });

  test('replaces a credential’s data from an empty form: what was stored is never shown', async () => {
    const { page } = t;
    const id = await made('Relay');
    await openPage(page);
    await page.getByRole('button', { name: 'Edit Relay' }).click();
    await page.getByLabel('Replace its data').check();
    expect(await field(page, 'Host').inputValue()).toBe('');
    await field(page, 'Host').fill('relay.example.com');
    await field(page, 'Port').fill('2525');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').textContent(), soon).toBe('Saved “Relay”.');
    expect(await stored(id)).toMatchObject({ host: 'relay.example.com', port: 2525 });
  });

  test('deletes a credential once the deletion is confirmed', async () => {
    const { page } = t;
    await made('Doomed');
    await openPage(page);
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.getByRole('button', { name: 'Delete Doomed' }).click();
    expect(await table(page).textContent()).toContain('Doomed');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete Doomed' }).click();
    await expect.poll(() => table(page).textContent(), soon).not.toContain('Doomed');
    const list = await t.s.app.inject({ method: 'GET', url: '/api/credentials', headers: auth });
    expect(list.json().credentials.map((c: { name: string }) => c.name)).not.toContain('Doomed');
  });

  test('the inspector’s empty picker links to the page, and offers the credential made there', async () => {
    const { page } = t;
    const sms = { id: 'text', type: 'sms.send', version: 1, params: { body: 'Hi', category: 'marketing' } };
    await openJourney(t.s, page, 'Texts', { nodes: [{ ...sms, position: { x: 0, y: 0 } }], edges: [] });
    await page.locator('.svelte-flow__node[data-id="text"]').click();
    const hint = page.locator('small', { hasText: 'credential yet' });
    expect(await hint.textContent()).toBe('No sms sending credential yet: add one on the Credentials page.');
    await hint.getByRole('link', { name: 'Credentials' }).click();
    await page.getByRole('heading', { name: 'Credentials' }).waitFor();

    await page.getByRole('button', { name: 'New credential' }).click();
    await field(page, 'Type').selectOption('sms.http-gateway');
    await field(page, 'Name').fill('Gateway');
    await field(page, 'URL').fill('https://sms.example.com/send');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => table(page).textContent(), soon).toContain('Gateway');

    await page.goBack();
    await page.locator('.svelte-flow__node[data-id="text"]').click();
    await expect
      .poll(() => page.getByLabel('Sender').locator('option').allTextContents(), soon)
      .toEqual(['Choose a credential', 'Gateway (sms.http-gateway)']);
  });
});
