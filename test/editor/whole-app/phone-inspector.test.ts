import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';
import { hookThenTag } from '../canvas-fixtures.js';
import { box, PHONE, reached } from '../phone.js';

// On a phone the inspector lies under the canvas, out of sight: a node chosen on the canvas, by
// a tap or the keyboard, brings its settings into view and the focus there, so a screen reader
// says where the user now is, and Back to canvas returns them to the node they came from.
describe.skipIf(!hasChromium)('the inspector of a journey in a phone-wide window', () => {
  const t = editorPagePerTest();

  const open = async (name: string) => {
    await t.page.setViewportSize(PHONE);
    await openJourney(t.s, t.page, name, hookThenTag('phone'));
  };
  // A phone's page: taps are touches (the first context closed, the hook closes this one).
  const tapping = async () => {
    await t.page.context().close();
    t.page = await (await t.s.browser.newContext({ viewport: PHONE, hasTouch: true })).newPage();
    t.page.setDefaultTimeout(10_000);
  };
  const mainTop = () => t.page.locator('main').evaluate((m) => m.getBoundingClientRect().top);
  const heading = () => t.page.locator('aside.side').getByRole('heading', { name: 'Tag contact', level: 2 });
  const tagNode = () => t.page.locator('.svelte-flow__node[data-id="tag"]');
  const focusedNode = () => t.page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.id);

  /** Waits for the inspector's heading to lie in the window, under the bar, and have the focus. */
  async function headingShownAndFocused(): Promise<void> {
    const top = await mainTop();
    const inView = async () => {
      const h = await box(heading());
      return h.top >= top && h.bottom <= PHONE.height;
    };
    await expect.poll(inView).toBe(true);
    expect(await reached(heading())).toBe(true);
    expect(await heading().evaluate((h) => h === document.activeElement)).toBe(true);
  }

  /** Waits for the canvas to fill the window under the bar again. */
  async function canvasShown(): Promise<void> {
    const top = await mainTop();
    const canvas = t.page.getByRole('application', { name: 'Journey canvas' });
    await expect
      .poll(async () => (await box(canvas)).top >= top - 1 && (await box(canvas)).bottom <= PHONE.height)
      .toBe(true);
  }

  test('a node tapped on the canvas brings the inspector’s heading into view, the focus on it', async () => {
    await tapping();
    await open('Reveal');
    expect((await box(t.page.locator('aside.side'))).top).toBeGreaterThan(PHONE.height);
    await tagNode().tap();
    await headingShownAndFocused();
  });

  test('a node chosen with the keyboard (Tab, then Enter) brings the inspector’s heading into view, the focus on it', async () => {
    await open('Keyboard reveal');
    await tagNode().focus();
    await t.page.keyboard.press('Enter');
    await headingShownAndFocused();
  });

  test('Back to canvas brings the canvas into view again, the focus on the node', async () => {
    await tapping();
    await open('Back');
    await tagNode().tap();
    const back = t.page.getByRole('button', { name: 'Back to canvas' });
    await expect.poll(async () => (await box(back)).bottom <= PHONE.height).toBe(true);
    await back.tap();
    await canvasShown();
    expect(await focusedNode()).toBe('tag');
  });

  test('Back to canvas reached with the keyboard gives the focus back to the node chosen with it', async () => {
    await open('Keyboard back');
    await tagNode().focus();
    await t.page.keyboard.press('Enter');
    await headingShownAndFocused();
    await t.page.keyboard.press('Tab');
    expect(await t.page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Back to canvas');
    await t.page.keyboard.press('Enter');
    await canvasShown();
    expect(await focusedNode()).toBe('tag');
  });

  test.each(['Settings', 'Runs'])(
    'with the %s tab open, a node tapped opens the Inspector tab and brings its heading into view',
    async (other) => {
      await tapping();
      await open(`Other tab ${other}`);
      await t.page.getByRole('tab', { name: other, exact: true }).tap();
      await expect
        .poll(() => t.page.getByRole('tab', { name: other, exact: true }).getAttribute('aria-selected'))
        .toBe('true');
      await tagNode().tap();
      await headingShownAndFocused();
      expect(await t.page.getByRole('tab', { name: 'Inspector' }).getAttribute('aria-selected')).toBe('true');
    },
  );
});

// Side by side the inspector is in sight already: choosing a node leaves the page, and the
// focus of a keyboard user going on with the node on the canvas, where they are.
describe.skipIf(!hasChromium)('the inspector of a journey in a wide window', () => {
  const t = editorPagePerTest();

  const open = async (name: string) => {
    await t.page.setViewportSize({ width: 1280, height: 800 });
    await openJourney(t.s, t.page, name, hookThenTag('wide'));
  };
  const heading = () => t.page.locator('aside.side').getByRole('heading', { name: 'Tag contact', level: 2 });
  /** Two frames: a scroll started after the inspector was drawn has begun by then. */
  const twoFrames = () =>
    t.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

  test('a node clicked opens its settings without scrolling anything, and offers no Back to canvas', async () => {
    await open('Wide');
    await t.page.evaluate(() => {
      const w = window as unknown as { scrolled: number };
      w.scrolled = 0;
      document.addEventListener('scroll', () => w.scrolled++, { capture: true });
    });
    await t.page.locator('.svelte-flow__node[data-id="tag"]').click();
    await heading().waitFor();
    await twoFrames();
    expect(await t.page.evaluate(() => (window as unknown as { scrolled: number }).scrolled)).toBe(0);
    expect(await t.page.getByRole('button', { name: 'Back to canvas' }).isVisible()).toBe(false);
  });

  test('a node chosen with the keyboard keeps the focus on the node', async () => {
    await open('Wide keyboard');
    await t.page.locator('.svelte-flow__node[data-id="tag"]').focus();
    await t.page.keyboard.press('Enter');
    await heading().waitFor();
    await twoFrames();
    expect(await t.page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.id)).toBe('tag');
  });
});
