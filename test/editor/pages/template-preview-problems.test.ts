import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

// The template editor's preview and Save, as a marketer meets their mistakes: each is named at
// the field it is about, and a refused preview does not hide why a save was refused.
describe.skipIf(!hasChromium)('the template editor’s preview and its problems', () => {
  const t = editorPagePerTest();
  const soon = { timeout: 10_000 };

  async function open(page: Page, id: string): Promise<void> {
    await page.goto(`${t.s.url}/templates/${id}?token=${TEST_TOKEN}`);
    await page.getByLabel('Template name').waitFor();
    await page.frameLocator('iframe[title="Email preview"]').locator('body').waitFor(soon);
  }
  const alertUnder = (page: Page, label: string) =>
    page.getByLabel(label, { exact: true }).evaluate((el) => {
      const id = el.getAttribute('aria-describedby');
      return (id && document.getElementById(id)?.textContent) || '';
    });

  test('attributes that are not JSON are named under their field', async () => {
    const { page } = t;
    await open(page, 'attrs');
    await page.getByLabel('Preview attributes').fill('{firstName: Ann');
    await expect.poll(() => alertUnder(page, 'Preview attributes'), soon).toMatch(/^Attributes: not JSON \(/);
    expect(await page.getByLabel('Preview attributes').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Preview attributes').fill('["Ann"]');
    await expect
      .poll(() => alertUnder(page, 'Preview attributes'), soon)
      .toBe('Attributes: must be a JSON object, like { "firstName": "Ada" }');
    await page.getByLabel('Preview attributes').fill('{ "firstName": "Ann" }');
    await expect.poll(() => page.getByLabel('Preview attributes').getAttribute('aria-invalid'), soon).toBe('false');
    await expect
      .poll(() => page.frameLocator('iframe[title="Email preview"]').locator('body').textContent(), soon)
      .toContain('Hello Ann');
  });

  test('an email the server refuses is named under the Email field', async () => {
    const { page } = t;
    await open(page, 'email');
    await page.getByLabel('Preview email').fill('not an email');
    await expect.poll(() => alertUnder(page, 'Preview email'), soon).toBe('Email: email is not a valid email address');
    expect(await page.getByLabel('Preview email').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Preview email').fill('ann@example.com');
    await expect.poll(() => page.getByLabel('Preview email').getAttribute('aria-invalid'), soon).toBe('false');
    expect(await page.getByRole('alert').count()).toBe(0);
  });

  test('a refused save names the field, and stays shown while the preview is refused too', async () => {
    const { page } = t;
    await open(page, 'blank-name');
    await page.getByLabel('Preview email').fill('not an email');
    await page.getByLabel('Template name').fill('   ');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => page.getByRole('alert').allTextContents(), soon)
      .toEqual(expect.arrayContaining(["Not saved: the request's body is invalid: name must not be blank"]));
    await page.waitForTimeout(600); // the preview refreshed after the edits has answered
    expect(await page.getByRole('alert').allTextContents()).toEqual(
      expect.arrayContaining(["Not saved: the request's body is invalid: name must not be blank"]),
    );
  });

  test('until its first render comes the preview says it is rendering, not that the body does not render', async () => {
    const { page } = t;
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/preview', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${t.s.url}/templates/slow?token=${TEST_TOKEN}`);
    await page.getByText('Rendering the preview…').waitFor(soon);
    expect(await page.getByText('The body does not render').count()).toBe(0);
    release();
    await page.frameLocator('iframe[title="Email preview"]').locator('body').waitFor(soon);
    expect(await page.getByText('Rendering the preview…').count()).toBe(0);
  });

  test('each “Preview for” choice has its radio on the line of its words', async () => {
    const { page } = t;
    await open(page, 'layout');
    for (const name of ['A typed contact', 'A stored contact']) {
      const radio = await page.getByRole('radio', { name }).boundingBox();
      const words = await page.locator('.contact label', { hasText: name }).boundingBox();
      if (!radio || !words) throw new Error(`“${name}” is not drawn`);
      expect(words.height).toBeLessThan(30);
      expect(radio.x - words.x).toBeLessThan(10);
    }
  });

  test('in a phone-wide window the preview comes under the source, as wide as it', async () => {
    const { page } = t;
    await page.setViewportSize({ width: 390, height: 800 });
    await open(page, 'phone');
    const source = await page.locator('.source').boundingBox();
    const preview = await page.locator('.preview').boundingBox();
    if (!source || !preview) throw new Error('the source or the preview is not drawn');
    expect(preview.y).toBeGreaterThanOrEqual(source.y + source.height);
    expect(preview.width).toBeCloseTo(source.width, 0);
    expect(preview.x + preview.width).toBeLessThanOrEqual(390);
  });
});
