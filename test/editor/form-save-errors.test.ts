import { beforeEach, describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium } from '../support/browser.js';
import { TEST_TOKEN } from '../support/runtime.js';

// A form definition the server refuses, or that is not JSON, says what is wrong: a line for each
// problem, at its place, without the place repeated in the message (`body/fields/0/label …`).
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
    return (await alert.textContent()) ?? '';
  }

  test('a refused field is named once, with what is wrong with it', async () => {
    const text = await save('{ "name": "Signup", "fields": [ { "name": "email", "type": "email" } ] }');
    expect(text.split('\n')).toEqual(['Not saved:', '/fields/0/label: is required']);
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
