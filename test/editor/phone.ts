import type { Locator } from 'playwright-core';

/** A phone's window (390 px wide): the editor's parts lie one under another. */
export const PHONE = { width: 390, height: 844 };

/** Where `locator` is drawn, in the window's pixels. */
export async function box(locator: Locator) {
  const b = await locator.boundingBox();
  if (!b) throw new Error('not drawn');
  return { left: b.x, top: b.y, right: b.x + b.width, bottom: b.y + b.height, width: b.width, height: b.height };
}

/** Whether a tap at the middle of `locator` reaches it, not something drawn over it. */
export const reached = (locator: Locator) =>
  locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
  });
