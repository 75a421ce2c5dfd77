import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../support/browser.js';
import { TEST_TOKEN } from '../support/runtime.js';

// A form definition the server refuses, or that is not JSON, says what is wrong: a line for each
// problem, at its place, without the place repeated in the message (`body/fields/0/label …`).
describe.skipIf(!hasChromium)('a form that is not saved', () => {
  let s: EditorSession;
  let page: Page;

  beforeAll(async () => {
    s = await openEditor();
  }, 120_000);
  afterAll(() => s?.close());
  beforeEach(async () => {
    page = await (await s.browser.newContext()).newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${s.url}/forms/signup?token=${TEST_TOKEN}`);
    await page.getByLabel('Form definition').waitFor();
  });
  afterEach(() => page.context().close());

  async function save(definition: string): Promise<string> {
    await page.getByLabel('Form definition').fill(definition);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    return (await alert.textContent()) ?? '';
  }

  test('a refused field is named once, with what is wrong with it', async () => {
    const text = await save('{ "name": "Signup", "fields": [ { "name": "email", "type": "email" } ] }');
    expect(text.split('\n')).toEqual(['Not saved:', '/fields/0/label: is required']);
  });

  test('a definition that is not JSON says so, and sends nothing', async () => {
    let sent = 0;
    page.on('request', (r) => {
      if (r.method() === 'PUT') sent++;
    });
    const text = await save('{ "name": ');
    expect(text).toMatch(/^Not saved: the definition is not JSON \(.+\)\.$/);
    expect(sent).toBe(0);
  });
});
