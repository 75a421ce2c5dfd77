import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium } from '../support/browser.js';
import { TEST_TOKEN } from '../support/runtime.js';

// A marketer on a phone (390 px wide): the page keeps the window's width, and the navigation
// bar scrolls within itself, so every page's link and Sign out stay on the bar and reachable.
describe.skipIf(!hasChromium)('the editor in a narrow window', () => {
  const t = editorPagePerTest();

  test('the page is no wider than the window, and the bar scrolls to its last link and Sign out', async () => {
    const { page } = t;
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${t.s.url}/credentials?token=${TEST_TOKEN}`);
    await page.getByRole('heading', { name: 'Credentials' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(390);
    const nav = page.getByRole('navigation');
    const signOut = nav.getByRole('button', { name: 'Sign out' });
    await signOut.scrollIntoViewIfNeeded();
    const box = await signOut.boundingBox();
    expect(box && box.x + box.width).toBeLessThanOrEqual(390);
    await nav.getByRole('link', { name: 'Forms' }).click();
    await page.getByRole('heading', { name: 'Signup forms' }).waitFor();
  });

  test('each credential’s Edit and Delete lie within a phone-wide window', async () => {
    const { page } = t;
    const res = await t.s.app.inject({
      method: 'POST',
      url: '/api/credentials',
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
      payload: { name: 'Office relay', type: 'email.smtp', data: { host: 'smtp.example.com', port: 587 } },
    });
    expect(res.statusCode).toBe(201);
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${t.s.url}/credentials?token=${TEST_TOKEN}`);
    const remove = page.getByRole('button', { name: 'Delete Office relay' });
    await remove.waitFor();
    for (const button of [page.getByRole('button', { name: 'Edit Office relay' }), remove]) {
      const box = await button.boundingBox();
      expect(box && box.x + box.width).toBeLessThanOrEqual(390);
    }
    expect(await page.locator('main').evaluate((m) => m.scrollWidth)).toBeLessThanOrEqual(390);
  });
});
