import { beforeEach, describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

// A form definition the server refuses, or that is not JSON, says what is wrong: a line for each
// problem, named by where the builder shows it (`Field 1 (email) › Label`), not by its JSON
// pointer (`/fields/0/label`), and without the place repeated in the message (`body/fields/0/label …`).
describe.skipIf(!hasChromium)('a form that is not saved', () => {
  const t = editorPagePerTest();

  beforeEach(async () => {
    await t.page.goto(`${t.s.url}/forms/signup?token=${TEST_TOKEN}`);
    await t.page.getByRole('button', { name: 'Edit as JSON' }).click();
    await t.page.getByLabel('Form definition').waitFor();
  });

  async function save(definition: string): Promise<string> {
    await t.page.getByLabel('Form definition').fill(definition);
    await t.page.getByRole('button', { name: 'Save', exact: true }).click();
    const alert = t.page.getByRole('alert');
    await alert.waitFor();
    return await alert.innerText();
  }
  const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');
  const unlabelled = '{ "name": "Signup", "fields": [ { "name": "email", "type": "email" } ] }';

  test('a refused field is named by its place in the builder, once, with what is wrong with it', async () => {
    const text = await save(unlabelled);
    expect(lines(text)).toEqual(['Not saved:', 'Field 1 (email) › Label: is required']);
  });

  test('the pointer of a refused value is kept as its line’s title, for the JSON', async () => {
    await save(unlabelled);
    const line = t.page.getByRole('alert').getByRole('listitem');
    expect(await line.getAttribute('title')).toBe('/fields/0/label');
  });

  test('a refused setting is named by its label in the builder', async () => {
    const text = await save(
      JSON.stringify({
        name: 'Signup',
        fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
        consentText: null,
        doubleOptIn: true,
        confirmationFrom: 'News <news@example.com>',
      }),
    );
    expect(lines(text)).toEqual(['Not saved:', 'Consent text: double opt-in needs the consent text']);
  });

  test('a definition that is not JSON says so, and sends nothing', async () => {
    let sent = 0;
    t.page.on('request', (r) => {
      if (r.method() === 'PUT') sent++;
    });
    const text = await save('{ "name": ');
    expect(text).toMatch(/^Not saved: the definition is not JSON \(.+\)\.$/);
    expect(sent).toBe(0);
  });
});
