import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JourneyGraph } from '../../../engine/graph/types.js';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';
import { bigJourney, fortyNodeJourney } from '../canvas-fixtures.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const node = (page: Page, id: string) => page.locator(`.svelte-flow__node[data-id="${id}"]`);

type Box = { id: string; x: number; y: number; w: number; h: number };
type EdgeSamples = { id: string; points: [number, number][] };

/** Node boxes and points along every drawn edge, in flow coordinates (what the canvas draws). */
async function geometry(page: Page): Promise<{ boxes: Box[]; edges: EdgeSamples[] }> {
  return page.evaluate(() => {
    const boxes = [...document.querySelectorAll<HTMLElement>('.svelte-flow__node')].map((el) => {
      const [, x, y] = /translate\(([-\d.]+)px,\s*([-\d.]+)px\)/.exec(el.style.transform) ?? [];
      return { id: el.dataset.id!, x: Number(x), y: Number(y), w: el.offsetWidth, h: el.offsetHeight };
    });
    const edges = [...document.querySelectorAll<SVGGElement>('.svelte-flow__edge')].map((g) => {
      const path = g.querySelector<SVGPathElement>('.svelte-flow__edge-path')!;
      const length = path.getTotalLength();
      const points: [number, number][] = [];
      for (let at = 0; at <= length; at += 4) {
        const p = path.getPointAtLength(at);
        points.push([p.x, p.y]);
      }
      return { id: g.dataset.id!, points };
    });
    return { boxes, edges };
  });
}

/** Drawn edges whose ends miss the handles they join (on screen, a few pixels' slack). */
async function looseEnds(page: Page, graph: JourneyGraph): Promise<string[]> {
  return page.evaluate((edges) => {
    const slack = 3;
    const within = (p: DOMPoint, el: Element | null) => {
      if (!el) return true; // that end's node is out of view, not drawn
      const r = el.getBoundingClientRect();
      return p.x >= r.left - slack && p.x <= r.right + slack && p.y >= r.top - slack && p.y <= r.bottom + slack;
    };
    const loose: string[] = [];
    for (const g of document.querySelectorAll<SVGGElement>('.svelte-flow__edge')) {
      const edge = edges.find((e) => e.id === g.dataset.id);
      const path = g.querySelector<SVGPathElement>('.svelte-flow__edge-path');
      if (!edge || !path) continue;
      const screen = path.getScreenCTM()!;
      const start = path.getPointAtLength(0).matrixTransform(screen);
      const end = path.getPointAtLength(path.getTotalLength()).matrixTransform(screen);
      const node = (id: string) => `.svelte-flow__node[data-id="${id}"]`;
      const from = document.querySelector(
        `${node(edge.source)} .svelte-flow__handle.source[data-handleid="${edge.sourceHandle}"]`,
      );
      const to = document.querySelector(`${node(edge.target)} .svelte-flow__handle.target`);
      if (!within(start, from)) loose.push(`${edge.id} leaves ${edge.source} off its handle`);
      if (!within(end, to)) loose.push(`${edge.id} enters ${edge.target} off its handle`);
    }
    return loose;
  }, graph.edges);
}

describe.skipIf(!hasChromium)('the canvas', () => {
  let session: EditorSession;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    session = await openEditor();
    ({ page, url } = session);
    page.setDefaultTimeout(10_000);
    await page.goto(`${url}/?token=${TEST_TOKEN}`);
  }, 120_000);

  afterAll(() => session?.close());

  test('a template becomes a published journey once its marked field is filled in', async () => {
    await page.goto(`${url}/`);
    await page.getByLabel('New journey name').fill('Birthdays');
    await page.locator('[data-template="birthday"]').click();
    await page.waitForURL(/\/journeys\//);
    const id = page.url().split('/').pop()!;
    await expect.poll(() => node(page, 'greeting').isVisible(), { timeout: 15_000 }).toBe(true);
    // The sender is left for the marketer: the node says so until it is filled in.
    await expect.poll(() => node(page, 'greeting').locator('.wm-node.invalid').count()).toBe(1);

    await node(page, 'greeting').click();
    await page.locator('.side [data-path="/from"] input').fill('Hello <hello@example.com>');
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 10_000 }).toBe('Saved');
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await expect.poll(() => page.getByText('Published version 1.').isVisible()).toBe(true);
    const journey = (await session.app.inject({ url: `/api/journeys/${id}`, headers: auth })).json();
    expect(journey).toMatchObject({ name: 'Birthdays', status: 'live', publishedVersion: 1 });
  });

  test('a node shows its summary, which follows its params as they change, in full on hover', async () => {
    const summary = node(page, 'greeting').getByTestId('node-summary');
    await expect.poll(() => summary.textContent()).toContain('— from Hello <hello@example.com>');
    await node(page, 'greeting').click();
    await page.locator('.side [data-path="/from"] input').fill('news@example.com');
    await expect
      .poll(() => summary.textContent())
      .toBe('Happy birthday, {{ contact.attributes.firstName | default: "friend" }}! — from news@example.com');
    expect(await summary.getAttribute('title')).toBe(await summary.textContent());
    // Long text is cut to the box, not wrapped.
    expect(await summary.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
  });

  test('a 40-node journey made at 0,0 opens laid out top-down, with no edge crossing a node', async () => {
    const res = await session.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: { name: 'Forty', graph: fortyNodeJourney() },
    });
    const id = res.json().id;
    await page.goto(`${url}/journeys/${id}`);
    await expect.poll(() => page.locator('.svelte-flow__node').count(), { timeout: 15_000 }).toBe(40);
    await expect.poll(() => page.locator('.svelte-flow__edge').count()).toBe(fortyNodeJourney().edges.length);
    await page.waitForTimeout(300);
    await page.screenshot({ path: 'test/editor/.canvas-forty.png' }).catch(() => undefined);
    const { boxes, edges } = await geometry(page);

    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
        expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
      }
    }
    const graph = fortyNodeJourney();
    const ends = new Map(graph.edges.map((e) => [e.id, e]));
    const crossings: string[] = [];
    for (const edge of edges) {
      const { source, target } = ends.get(edge.id)!;
      for (const box of boxes) {
        if (box.id === source || box.id === target) continue;
        const inside = edge.points.some(
          ([x, y]) => x > box.x + 1 && x < box.x + box.w - 1 && y > box.y + 1 && y < box.y + box.h - 1,
        );
        if (inside) crossings.push(`${edge.id} (${source}→${target}) crosses ${box.id}`);
      }
    }
    expect(crossings).toEqual([]);

    // Top-down: every edge leaves its source below where it enters its target.
    const byId = new Map(boxes.map((b) => [b.id, b]));
    for (const e of graph.edges) expect(byId.get(e.source)!.y).toBeLessThan(byId.get(e.target)!.y);
    // The laid-out positions are saved with the draft.
    await expect
      .poll(async () => {
        const draft = (await session.app.inject({ url: `/api/journeys/${id}`, headers: auth })).json().draft;
        return draft.graph.nodes.filter((n: { position: { x: number; y: number } }) => n.position.y > 0).length;
      })
      .toBeGreaterThan(30);
  });

  test('edges carry their output name', async () => {
    const labels = await page.getByTestId('edge-label').allTextContents();
    expect(labels.map((l) => l.trim()).sort()).toEqual(expect.arrayContaining(['yes', 'no', 'a', 'b', 'c']));
  });

  test('a 300-node journey draws only what is in view, every edge on its handles, also after panning', async () => {
    const graph = bigJourney(300);
    const res = await session.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: { name: 'Big', graph },
    });
    await page.goto(`${url}/journeys/${res.json().id}`);
    await node(page, 'hook').waitFor();
    await expect.poll(() => looseEnds(page, graph)).toEqual([]);
    expect(await page.locator('.svelte-flow__node').count()).toBeLessThan(100);
    await page.locator('.svelte-flow__minimap').waitFor();

    // Drag the pane up from its empty left margin: the nodes further down are drawn, on their handles.
    const pane = (await page.locator('.svelte-flow').boundingBox())!;
    await page.screenshot({ path: 'test/editor/.canvas-big.png' }).catch(() => undefined);
    for (let i = 0; i < 4; i++) {
      await page.mouse.move(pane.x + 60, pane.y + pane.height / 2 + 150);
      await page.mouse.down();
      await page.mouse.move(pane.x + 60, pane.y + pane.height / 2 - 150, { steps: 5 });
      await page.mouse.up();
    }
    await expect.poll(() => node(page, 'hook').count()).toBe(0);
    await expect.poll(() => looseEnds(page, graph)).toEqual([]);

    // Undo shows the whole graph anew; the nodes on screen keep meeting their edges.
    // The node nearest the middle of the pane: one at its edge may sit under the minimap or a panel.
    const victim = await page.evaluate(() => {
      const pane = (document.querySelector('.svelte-flow') as Element).getBoundingClientRect();
      const middle = { x: pane.x + pane.width / 2, y: pane.y + pane.height / 2 };
      const distance = (el: Element) => {
        const r = el.getBoundingClientRect();
        return Math.hypot(r.x + r.width / 2 - middle.x, r.y + r.height / 2 - middle.y);
      };
      const nodes = [...document.querySelectorAll('.svelte-flow__node')].sort((a, b) => distance(a) - distance(b));
      return (nodes[0] as Element).getAttribute('data-id') as string;
    });
    await node(page, victim).click();
    await expect.poll(async () => (await node(page, victim).getAttribute('class')) ?? '').toContain('selected');
    await page.keyboard.press('Delete');
    await expect.poll(() => node(page, victim).count()).toBe(0);
    await page.waitForTimeout(400); // the history records a change once it settles
    await page.keyboard.press('Control+z');
    await expect.poll(() => node(page, victim).count()).toBe(1);
    await expect.poll(() => looseEnds(page, graph)).toEqual([]);
  });
});
