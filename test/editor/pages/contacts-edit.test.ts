import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };

// The Contacts page adds a contact, edits one's time zone and attributes, and searches by email
// (all through POST /api/contacts and GET /api/contacts?segment=…).
describe.skipIf(!hasChromium)('adding, editing and finding contacts', () => {
  const t = editorPagePerTest();

  beforeAll(async () => {
    for (const email of ['ada@example.com', 'grace@example.com'])
      await t.s.app.inject({ method: 'POST', url: '/api/contacts', headers: auth, payload: { email } });
  });
  beforeEach(async () => {
    await t.page.goto(`${t.s.url}/contacts?token=${TEST_TOKEN}`);
    await t.page.getByRole('heading', { name: 'Contacts' }).waitFor();
  });

  const emails = () => t.page.locator('tbody tr td:first-child').allTextContents();
  const opened = () => t.page.getByRole('complementary', { name: 'Contact' });

  test('Add contact stores the contact, lists it and opens it', async () => {
    await t.page.getByRole('button', { name: 'Add contact' }).click();
    const form = t.page.getByRole('form', { name: 'Add contact' });
    await form.getByLabel('Email').fill('Linus@Example.com');
    await form.getByLabel('Time zone').fill('Europe/Helsinki');
    await form.getByLabel('Attributes').fill('{ "first_name": "Linus" }');
    await form.getByRole('button', { name: 'Add contact' }).click();
    await expect.poll(() => opened().getByRole('heading', { level: 2 }).textContent()).toBe('linus@example.com');
    expect(await opened().locator('pre').first().textContent()).toContain('"first_name": "Linus"');
    await expect.poll(emails).toContain('linus@example.com');
    expect(await form.count()).toBe(0);
  });

  test('a contact the server refuses says which field is wrong, and is not stored', async () => {
    await t.page.getByRole('button', { name: 'Add contact' }).click();
    const form = t.page.getByRole('form', { name: 'Add contact' });
    await form.getByLabel('Phone').fill('+358401112223');
    await form.getByLabel('Time zone').fill('Mars/Olympus');
    await form.getByRole('button', { name: 'Add contact' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('timezone');
    const res = await t.s.app.inject({ url: '/api/contacts', headers: auth });
    expect(res.json().contacts.map((c: { phone: string | null }) => c.phone)).not.toContain('+358401112223');
  });

  test('a form without an email, a phone or an external id asks for one', async () => {
    await t.page.getByRole('button', { name: 'Add contact' }).click();
    const form = t.page.getByRole('form', { name: 'Add contact' });
    await form.getByLabel('Time zone').fill('Europe/Helsinki');
    await form.getByRole('button', { name: 'Add contact' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toBe('Give an email, a phone or an external id.');
  });

  test('Edit saves the opened contact’s attributes, and keeps its email', async () => {
    await t.page.locator('tbody tr', { hasText: 'ada@example.com' }).click();
    await opened().getByRole('button', { name: 'Edit' }).click();
    const form = t.page.getByRole('form', { name: 'Edit contact' });
    expect(await form.getByLabel('Email').isDisabled()).toBe(true);
    await form.getByLabel('Attributes').fill('{ "plan": "pro" }');
    await form.getByRole('button', { name: 'Save contact' }).click();
    await expect.poll(() => opened().locator('pre').first().textContent()).toContain('"plan": "pro"');
    expect(await opened().getByRole('heading', { level: 2 }).textContent()).toBe('ada@example.com');
  });

  test('the search lists the contacts whose email contains it, whatever its case', async () => {
    await expect.poll(emails).toContain('grace@example.com');
    await t.page.getByLabel('Search contacts by email').fill('GRACE');
    await expect.poll(emails).toEqual(['grace@example.com']);
  });
});
