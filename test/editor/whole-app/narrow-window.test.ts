import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';
import { hookThenTag } from '../canvas-fixtures.js';
import { box, PHONE, reached } from '../phone.js';

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

// A marketer opening a journey on a phone (390 px): the palette, the canvas and the side panel
// come one under another, the page scrolling, where side by side they left the canvas no width.
describe.skipIf(!hasChromium)('a journey in a phone-wide window', () => {
  const t = editorPagePerTest();

  const open = async (name: string) => {
    await t.page.setViewportSize(PHONE);
    await openJourney(t.s, t.page, name, hookThenTag('phone'));
  };

  test('the palette, the canvas and the side panel each span the window, one under another', async () => {
    await open('Stacked');
    expect(await t.page.evaluate(() => document.documentElement.scrollWidth)).toBe(PHONE.width);
    const palette = await box(t.page.getByRole('complementary', { name: 'Node palette' }));
    const canvas = await box(t.page.getByRole('application', { name: 'Journey canvas' }));
    const side = await box(t.page.locator('aside.side'));
    for (const part of [palette, canvas, side]) {
      expect(part.left).toBeGreaterThanOrEqual(0);
      expect(part.right).toBeLessThanOrEqual(PHONE.width);
    }
    expect(canvas.width).toBe(PHONE.width);
    expect(canvas.height).toBeGreaterThanOrEqual(320);
    expect(palette.bottom).toBeLessThanOrEqual(canvas.top);
    expect(canvas.bottom).toBeLessThanOrEqual(side.top);
  });

  test('the journey’s name, Validate, Publish and Live view lie within the window', async () => {
    await open('Header');
    const name = t.page.getByLabel('Journey name');
    expect((await box(name)).width).toBeGreaterThanOrEqual(150);
    for (const control of [
      name,
      t.page.getByRole('button', { name: 'Validate', exact: true }),
      t.page.getByRole('button', { name: 'Publish' }),
      t.page.getByRole('button', { name: 'Live view' }),
    ]) {
      expect((await box(control)).right).toBeLessThanOrEqual(PHONE.width);
      expect(await reached(control)).toBe(true);
    }
  });

  test('every button of the canvas toolbar lies within the canvas, a tap reaching it', async () => {
    await open('Toolbar');
    const canvas = await box(t.page.getByRole('application', { name: 'Journey canvas' }));
    const buttons = await t.page.getByRole('toolbar', { name: 'Canvas' }).getByRole('button').all();
    expect(buttons.length).toBe(8);
    for (const button of buttons) {
      const b = await box(button);
      expect(b.left).toBeGreaterThanOrEqual(canvas.left);
      expect(b.right).toBeLessThanOrEqual(canvas.right);
      expect(await reached(button)).toBe(true);
    }
  });

  test('a node tapped in the palette is added where the canvas shows it', async () => {
    await open('Palette');
    await t.page.getByRole('button', { name: /^Tag contact crm\.tag/ }).click();
    const nodes = t.page.locator('.svelte-flow__node');
    await expect.poll(() => nodes.count()).toBe(3);
    const canvas = await box(t.page.getByRole('application', { name: 'Journey canvas' }));
    // Beside the nodes there, the free spot nearest the middle is past the narrow canvas's edge:
    // the view follows the node added.
    const inView = async () => {
      const added = await box(nodes.last());
      return (
        added.left >= canvas.left &&
        added.right <= canvas.right &&
        added.top >= canvas.top &&
        added.bottom <= canvas.bottom
      );
    };
    await expect.poll(inView).toBe(true);
  });

  test('a node tapped on the canvas opens its settings in the inspector, within the window', async () => {
    await open('Inspector');
    const node = t.page.locator('.svelte-flow__node[data-id="tag"]');
    expect(await reached(node)).toBe(true);
    await node.click();
    const tag = t.page.locator('aside.side').getByLabel('Tag', { exact: true });
    await tag.scrollIntoViewIfNeeded();
    expect(await tag.inputValue()).toBe('phone');
    const b = await box(tag);
    expect(b.left).toBeGreaterThanOrEqual(0);
    expect(b.right).toBeLessThanOrEqual(PHONE.width);
    expect(await reached(tag)).toBe(true);
    expect(await t.page.locator('aside.side').evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
  });

  test('each node’s Docs button in the palette is at least 24 px a side', async () => {
    await open('Docs size');
    const buttons = await t.page.getByRole('button', { name: /^Docs for / }).all();
    expect(buttons.length).toBeGreaterThan(5);
    for (const button of buttons) {
      await button.scrollIntoViewIfNeeded();
      const b = await box(button);
      expect(Math.min(b.width, b.height)).toBeGreaterThanOrEqual(24);
    }
  });

  test('the docs of a node at the palette’s foot open in sight', async () => {
    await open('Docs');
    await t.page.getByRole('button', { name: 'Docs for Webhook' }).click();
    const palette = await box(t.page.getByRole('complementary', { name: 'Node palette' }));
    const docs = await box(t.page.getByRole('region', { name: 'Docs for Webhook' }));
    expect(docs.top).toBeGreaterThanOrEqual(palette.top - 1);
    expect(docs.top).toBeLessThan(palette.bottom - 40);
    expect(await reached(t.page.getByRole('button', { name: 'Close docs' }))).toBe(true);
  });

  test('a drag on the canvas’s empty part still pans it', async () => {
    await open('Pan');
    const viewport = t.page.locator('.svelte-flow__viewport');
    const canvas = await box(t.page.getByRole('application', { name: 'Journey canvas' }));
    const from = { x: canvas.right - 20, y: canvas.top + canvas.height / 2 };
    expect(
      await t.page.evaluate(
        ({ x, y }) => document.elementFromPoint(x, y)?.classList.contains('svelte-flow__pane'),
        from,
      ),
    ).toBe(true);
    const before = await viewport.evaluate((el) => el.style.transform);
    await t.page.mouse.move(from.x, from.y);
    await t.page.mouse.down();
    await t.page.mouse.move(from.x - 120, from.y - 80, { steps: 8 });
    await t.page.mouse.up();
    await expect.poll(() => viewport.evaluate((el) => el.style.transform)).not.toBe(before);
  });
});
