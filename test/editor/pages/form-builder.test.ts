import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

// contracts/content.md "Forms" and editor/README.md (the form builder): a marketer builds a signup form
// from inputs (fields added, moved and removed with buttons), sees it as its public page draws
// it, and may edit the same definition as JSON.
describe.skipIf(!hasChromium)('the form builder', () => {
  const t = editorPagePerTest();
  const owner = { authorization: `Bearer ${TEST_TOKEN}` };

  const putForm = (id: string, payload: object) =>
    t.s.app.inject({ method: 'PUT', url: `/api/forms/${id}`, headers: owner, payload });
  const threeFields = {
    name: 'News',
    fields: [
      { name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' },
      { name: 'first_name', label: 'First name', type: 'text', mapTo: 'attributes.firstName' },
      { name: 'plan', label: 'Plan', type: 'select', options: ['Free', 'Pro'] },
    ],
  };

  async function open(id: string, token = TEST_TOKEN): Promise<void> {
    await t.page.goto(`${t.s.url}/forms/${id}?token=${token}`);
    await t.page.getByRole('heading', { name: `Form ${id}` }).waitFor();
  }
  /** Opens a stored form once its saved version has replaced the starter. */
  async function openStored(id: string, token = TEST_TOKEN): Promise<void> {
    await open(id, token);
    await t.page.getByText(/^Version \d+:/).waitFor();
  }
  const field = (n: number) => t.page.getByRole('group', { name: new RegExp(`^Field ${n}:`) });
  const legends = () => t.page.locator('fieldset.field > legend').allTextContents();
  const save = () => t.page.getByRole('button', { name: 'Save', exact: true }).click();
  const jsonToggle = () => t.page.getByRole('button', { name: 'Edit as JSON' });
  const definition = () => t.page.getByLabel('Form definition');
  /** The names of the public page's inputs, in order. */
  const postedNames = (html: string) =>
    [...html.matchAll(/<(?:input|select|textarea)[^>]* name="([^"]+)"/g)].map((m) => m[1]);
  /** The text an input's `aria-describedby` names: the problem shown under it. */
  const description = (locator: ReturnType<typeof field>) =>
    locator.evaluate((el) =>
      (el.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(''),
    );

  test('a form built from three fields is saved and served at its public address with them', async () => {
    await open('signup');
    await t.page.getByLabel(/^Title/).fill('Newsletter signup');
    await t.page.getByRole('button', { name: 'Add field' }).click();
    await field(2).getByLabel(/^Name/).fill('first_name');
    await field(2).getByLabel('Label', { exact: true }).fill('First name');
    await field(2).getByLabel('Fills on the contact').selectOption('attribute');
    await field(2)
      .getByLabel(/^Attribute/)
      .fill('firstName');
    await t.page.getByRole('button', { name: 'Add field' }).click();
    await field(3).getByLabel('Kind').selectOption('select');
    await field(3).getByLabel(/^Name/).fill('plan');
    await field(3).getByLabel('Label', { exact: true }).fill('Plan');
    for (const [n, option] of ['Free', 'Pro'].entries()) {
      await field(3).getByRole('button', { name: 'Add option' }).click();
      await field(3)
        .getByLabel(`Option ${n + 1}`, { exact: true })
        .fill(option);
    }
    await save();
    await t.page.getByText(/^Version 1:/).waitFor();

    const res = await fetch(`${t.s.url}/f/signup`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(postedNames(html)).toEqual(['email', 'first_name', 'plan', '_consent', '_hp']);
    expect(html).toContain('<h1>Newsletter signup</h1>');
    expect(html).toContain('<label for="f-first_name">First name</label>');
    expect(html).toContain('<option>Free</option><option>Pro</option>');
  });

  test('the preview draws the draft as the public page does, as it is typed', async () => {
    await open('preview');
    await field(1).getByLabel('Label', { exact: true }).fill('Your email address');
    const frame = t.page.frameLocator('iframe[title="Form preview"]');
    await frame.getByLabel('Your email address').waitFor();
    expect(await frame.getByRole('button', { name: 'Subscribe' }).isVisible()).toBe(true);
  });

  test('a field moves down from the keyboard, the focus staying on it', async () => {
    await putForm('reorder', threeFields);
    await openStored('reorder');
    await t.page.getByRole('button', { name: 'Move field Email down' }).focus();
    await t.page.keyboard.press('Enter');
    expect(await legends()).toEqual(['Field 1: First name', 'Field 2: Email', 'Field 3: Plan']);
    await t.page.keyboard.press('Enter');
    expect(await legends()).toEqual(['Field 1: First name', 'Field 2: Plan', 'Field 3: Email']);
    // Last, it cannot go further down: the focus moves to its Up.
    expect(await t.page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Move field Email up');
    expect(await t.page.getByRole('status').filter({ hasText: 'moved' }).textContent()).toBe(
      'Email moved to position 3 of 3',
    );
  });

  test('a new order is saved and the public page follows it', async () => {
    await putForm('order', threeFields);
    await openStored('order');
    await t.page.getByRole('button', { name: 'Move field Plan up' }).click();
    await save();
    await t.page.getByText(/^Version 2:/).waitFor();
    const html = await (await fetch(`${t.s.url}/f/order`)).text();
    expect(postedNames(html)).toEqual(['email', 'plan', 'first_name', '_hp']);
  });

  test('a removed field is gone from the saved form', async () => {
    await putForm('removal', threeFields);
    await openStored('removal');
    await t.page.getByRole('button', { name: 'Remove field First name' }).click();
    await save();
    await t.page.getByText(/^Version 2:/).waitFor();
    const stored = (await t.s.app.inject({ method: 'GET', url: '/api/forms/removal', headers: owner })).json();
    expect(stored.fields.map((f: { name: string }) => f.name)).toEqual(['email', 'plan']);
  });

  test("the server's refusal is shown at the field its pointer names", async () => {
    await open('twice');
    await t.page.getByRole('button', { name: 'Add field' }).click();
    await field(2).getByLabel(/^Name/).fill('email');
    await save();
    const summary = t.page.getByRole('alert');
    expect(await summary.getByRole('listitem').allTextContents()).toEqual([
      'Field 2 (email) › Name: field email appears twice',
    ]);
    const name = field(2).getByLabel(/^Name/);
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    expect(await description(name)).toBe('field email appears twice');
    expect(await field(1).getByLabel(/^Name/).getAttribute('aria-invalid')).toBe('false');
  });

  test('a field left without a name, or with one that cannot be posted, says so under Name', async () => {
    await open('unnamed');
    await t.page.getByRole('button', { name: 'Add field' }).click();
    await field(2).getByLabel(/^Name/).fill('');
    await save();
    const name = field(2).getByLabel(/^Name/);
    await expect.poll(() => description(name)).toBe('a field needs a name');
    await name.fill('first name');
    await save();
    await expect
      .poll(() => description(name))
      .toBe('"first name" is not a valid field name: 1–64 letters, digits or _, starting with a letter');
    expect(await name.inputValue()).toBe('first name');
  });

  test('in a phone-wide window every button of a field can be reached, the preview under the builder', async () => {
    await t.page.setViewportSize({ width: 390, height: 800 });
    await open('phone');
    for (const name of [/^Move field .* down$/, /^Remove field /]) {
      const button = field(1).getByRole('button', { name });
      await button.scrollIntoViewIfNeeded();
      // The button itself is what a tap at its middle reaches, not the preview drawn over it.
      const reached = await button.evaluate((el) => {
        const box = el.getBoundingClientRect();
        return el.contains(document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2));
      });
      expect(reached).toBe(true);
    }
  });

  test('a problem follows its field when the field moves', async () => {
    await open('follows');
    await t.page.getByRole('button', { name: 'Add field' }).click();
    await field(2).getByLabel('Kind').selectOption('select');
    await field(2).getByLabel('Label', { exact: true }).fill('Plan');
    await save();
    await t.page.getByRole('alert').waitFor();
    await t.page.getByRole('button', { name: 'Move field Plan up' }).click();
    const options = field(1).getByRole('button', { name: 'Add option' });
    await options.waitFor();
    expect(await field(1).getByText('a select field needs options').isVisible()).toBe(true);
    expect(await field(2).getByText('a select field needs options').count()).toBe(0);
  });

  test('the JSON shows what the builder holds, and the builder what the JSON says', async () => {
    await open('roundtrip');
    await field(1).getByLabel('Label', { exact: true }).fill('Your email');
    await jsonToggle().click();
    const shown = JSON.parse(await definition().inputValue());
    expect(shown.fields[0].label).toBe('Your email');

    shown.fields.push({ name: 'city', label: 'City', type: 'text', required: false, mapTo: 'attributes.city' });
    shown.tags = ['from-json'];
    const edited = JSON.stringify(shown, null, 2);
    await definition().fill(edited);
    await jsonToggle().click();
    expect(await legends()).toEqual(['Field 1: Your email', 'Field 2: City']);
    expect(await field(2).getByLabel('Fills on the contact').inputValue()).toBe('attribute');
    expect(
      await field(2)
        .getByLabel(/^Attribute/)
        .inputValue(),
    ).toBe('city');
    expect(await t.page.getByRole('listitem').filter({ hasText: 'from-json' }).count()).toBe(1);

    await jsonToggle().click();
    expect(await definition().inputValue()).toBe(edited);
  });

  test('JSON that is no form keeps the JSON open and says why', async () => {
    await open('broken');
    await jsonToggle().click();
    await definition().fill('{ "name": ');
    await jsonToggle().click();
    expect(await t.page.getByRole('alert').textContent()).toMatch(/^Still JSON: the definition is not JSON \(.+\)\.$/);
    expect(await definition().isVisible()).toBe(true);
    expect(await jsonToggle().getAttribute('aria-pressed')).toBe('true');
  });

  test('a role that may not write sees the builder disabled, naming the permission', async () => {
    await putForm('readonly', threeFields);
    const made = await t.s.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: owner,
      payload: { name: 'reader', scopes: ['journeys:read'] },
    });
    await openStored('readonly', made.json().token);
    for (const control of [
      t.page.getByLabel(/^Title/),
      field(1).getByLabel(/^Name/),
      t.page.getByRole('button', { name: 'Add field' }),
      t.page.getByRole('button', { name: 'Move field Email down' }),
      t.page.getByRole('button', { name: 'Save', exact: true }),
    ])
      expect(await control.isDisabled()).toBe(true);
    expect(await t.page.locator('fieldset.builder').getAttribute('title')).toContain('journeys:write');
    await jsonToggle().click();
    expect(await definition().getAttribute('readonly')).not.toBeNull();
  });
});
