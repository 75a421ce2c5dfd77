import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

// contracts/experiments.md `settings.goal` (event, filter, windowSeconds, exitOnGoal), set in the
// journey's Settings tab and saved with the draft as the other settings are.
describe.skipIf(!hasChromium)('the journey goal in the Settings tab', () => {
  let s: EditorSession;
  let page: Page;
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };

  async function newJourney(): Promise<string> {
    const made = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: {
        name: 'Checkout',
        graph: {
          nodes: [
            { id: 'start', type: 'core.event', version: 1, params: { event: 'signup' }, position: { x: 0, y: 0 } },
          ],
          edges: [],
        },
      },
    });
    return made.json().id;
  }

  async function withGoal(id: string, goal: { event: string; windowSeconds: number }): Promise<void> {
    await s.app.inject({ method: 'PATCH', url: `/api/journeys/${id}`, headers: auth, payload: { settings: { goal } } });
  }

  const goalOf = async (id: string) =>
    (await s.app.inject({ method: 'GET', url: `/api/journeys/${id}`, headers: auth })).json().draft.settings.goal;

  async function openSettings(id: string): Promise<void> {
    await page.goto(`${s.url}/journeys/${id}`);
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByLabel(/^Goal event/).waitFor({ timeout: 15_000 });
  }

  beforeAll(async () => {
    s = await openEditor();
    page = s.page;
    await page.goto(`${s.url}/?token=${TEST_TOKEN}`);
    await page.getByRole('heading', { name: 'Journeys' }).waitFor({ timeout: 15_000 });
  }, 120_000);
  afterAll(() => s?.close());

  test('a goal set in the Settings tab is the journey’s goal', async () => {
    const id = await newJourney();
    await openSettings(id);
    await page.getByLabel(/^Goal event/).fill('purchase');
    await page.getByLabel(/^Goal event/).press('Enter');
    const window = page.getByRole('group', { name: 'Goal window' });
    await window.getByLabel('Goal window amount').fill('2');
    await window.getByLabel('Goal window unit').selectOption('D');
    await page.getByRole('button', { name: '+ Add filter' }).click();
    await page.getByLabel('attr name').fill('total');
    await page.getByLabel('Operator').selectOption('gte');
    await page.getByLabel('Value').fill('10');
    await page.getByRole('checkbox', { name: /Exit on goal/ }).check();
    await expect
      .poll(() => goalOf(id), { timeout: 15_000 })
      .toEqual({
        event: 'purchase',
        filter: { all: [{ attr: 'total', op: 'gte', value: 10 }] },
        windowSeconds: 172_800,
        exitOnGoal: true,
      });
  });

  test('a journey’s goal is shown in the Settings tab', async () => {
    const id = await newJourney();
    await withGoal(id, { event: 'booked', windowSeconds: 43_200 });
    await openSettings(id);
    expect(await page.getByLabel(/^Goal event/).inputValue()).toBe('booked');
    expect(await page.getByLabel('Goal window ISO 8601 duration').inputValue()).toBe('PT12H');
    expect(await page.getByRole('checkbox', { name: /Exit on goal/ }).isChecked()).toBe(false);
  });

  test('emptying the goal event removes the goal', async () => {
    const id = await newJourney();
    await withGoal(id, { event: 'booked', windowSeconds: 3_600 });
    await openSettings(id);
    await page.getByLabel(/^Goal event/).fill('');
    await page.getByLabel(/^Goal event/).press('Enter');
    await expect.poll(() => goalOf(id), { timeout: 15_000 }).toBeNull();
  });

  test('a window the server refuses is shown at the window, with the server’s message', async () => {
    const id = await newJourney();
    await openSettings(id);
    await page.getByLabel(/^Goal event/).fill('purchase');
    await page.getByLabel(/^Goal event/).press('Enter');
    // 53 weeks: more than the 31536000 seconds (a year) a window may last.
    await page.getByLabel('Goal window ISO 8601 duration').fill('P53W');
    const window = page.getByRole('group', { name: 'Goal window' });
    await expect.poll(() => window.getByRole('alert').textContent(), { timeout: 15_000 }).toMatch(/31536000/);
    expect(await page.getByLabel('Goal window ISO 8601 duration').getAttribute('aria-invalid')).toBe('true');
  });
});
