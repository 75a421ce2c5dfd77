import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { eventually } from '../../engine/support.js';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const SECRET = 'a-secret-of-16-chars';
const graph = {
  nodes: [
    { id: 'hook', type: 'core.webhook', version: 1, params: { secret: SECRET }, position: { x: 0, y: 0 } },
    { id: 'tag', type: 'crm.tag', version: 1, params: { action: 'add', tag: 'welcomed' }, position: { x: 0, y: 150 } },
  ],
  edges: [{ id: 'e1', source: 'hook', sourceHandle: 'out', target: 'tag' }],
};

// API.md "The editor": each node shows entered and converted, with rate; the live view shows
// one version's counts (the newest published one), and its conversions are of that version too.
describe.skipIf(!hasChromium)('the conversions on the canvas', () => {
  let s: EditorSession;
  let worker: WorkerHandle;
  let journeyId: string;

  const enter = async (email: string, runs: number) => {
    const res = await s.app.inject({
      method: 'POST',
      url: `/hooks/${journeyId}/hook`,
      headers: { 'x-waymark-secret': SECRET },
      payload: { email },
    });
    if (res.statusCode !== 202) throw new Error(`the webhook answered ${res.statusCode}`);
    await eventually(async () => {
      const listed = await s.app.inject({ url: `/api/runs?journeyId=${journeyId}&status=completed`, headers: auth });
      return listed.json().runs.length === runs;
    }, 15_000);
  };

  beforeAll(async () => {
    s = await openEditor();
    s.page.setDefaultTimeout(10_000);
    worker = await startWorker(s.base.runtime, { pollInterval: 100 });
    const settings = { goal: { event: 'purchase', windowSeconds: 86_400 } };
    journeyId = (
      await s.app.inject({
        method: 'POST',
        url: '/api/journeys',
        headers: auth,
        payload: { name: 'Welcome', graph, settings },
      })
    ).json().id;
    await s.app.inject({ method: 'POST', url: `/api/journeys/${journeyId}/publish`, headers: auth });
    await enter('ada@example.com', 1);
    const bought = await s.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: auth,
      payload: { email: 'ada@example.com', name: 'purchase' },
    });
    expect(bought.statusCode).toBeLessThan(300);
    expect(
      (await s.app.inject({ method: 'POST', url: `/api/journeys/${journeyId}/publish`, headers: auth })).json(),
    ).toEqual({ version: 2 });
    await enter('bob@example.com', 2);
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await s?.close();
  });

  test('a node’s conversions and rate are of the version its entered count is of', async () => {
    const { page, url } = s;
    await page.goto(`${url}/journeys/${journeyId}?token=${TEST_TOKEN}`);
    await page.getByRole('button', { name: 'Live view' }).click();
    const tag = page.locator('.svelte-flow__node[data-id="tag"] .wm-node');
    await expect.poll(() => tag.locator('[data-count="completed"]').textContent(), { timeout: 15_000 }).toMatch(/1$/);
    await expect.poll(() => tag.locator('.conv').textContent()).toBe('conv 0 (0.0%)');
  });
});
