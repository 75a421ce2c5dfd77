import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';
import { defaultWorkspace, makeUser, PASSWORD } from '../../teams/support.js';

describe.skipIf(!hasChromium)('teams in the browser', () => {
  let s: EditorSession;
  let journeyId: string;

  beforeAll(async () => {
    s = await openEditor();
    await makeUser(s.base.runtime.db, 'owner@example.com', await defaultWorkspace(s.base.runtime.db), 'owner');
    const made = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
      payload: {
        name: 'Welcome',
        graph: {
          nodes: [
            {
              id: 'hook',
              type: 'core.webhook',
              version: 1,
              params: { secret: 'the-webhook-secret-0123456789' },
              position: { x: 0, y: 0 },
            },
          ],
          edges: [],
        },
      },
    });
    journeyId = made.json().id;
  }, 120_000);
  afterAll(() => s?.close());

  test('an owner signs in and invites a viewer, who joins and cannot publish', async () => {
    const { page, url } = s;
    await page.goto(`${url}/journeys`);
    await page.getByLabel('Email').fill('owner@example.com');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 }).toMatch(/wrong/);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect
      .poll(() => page.getByRole('heading', { name: 'Journeys' }).isVisible(), { timeout: 15_000 })
      .toBe(true);
    expect(await page.locator('.who').textContent()).toContain('owner@example.com · owner');
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'waymark_session')?.httpOnly).toBe(true);

    await page.getByRole('link', { name: 'Team' }).click();
    await page.getByLabel('Email to invite').fill('viewer@example.com');
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Invite' }).click();
    const link = (await page.locator('.invite-link').textContent({ timeout: 10_000 })) as string;
    expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]{32,}$/);
    await expect.poll(() => page.getByText('viewer@example.com as viewer').isVisible(), { timeout: 15_000 }).toBe(true);

    const other = await s.browser.newContext();
    const viewer = await other.newPage();
    await viewer.goto(link.replace(/^https?:\/\/[^/]+/, url));
    await expect.poll(() => viewer.getByText('You are invited to').isVisible(), { timeout: 15_000 }).toBe(true);
    await viewer.getByLabel('Name').fill('Vera');
    await viewer.getByLabel(/Password/).fill('viewer password 1');
    await viewer.getByRole('button', { name: 'Join' }).click();
    await expect
      .poll(() => viewer.getByRole('heading', { name: 'Journeys' }).isVisible(), { timeout: 15_000 })
      .toBe(true);
    expect(await viewer.locator('.who').textContent()).toContain('viewer@example.com · viewer');

    await viewer.goto(`${url}/journeys/${journeyId}`);
    const publish = viewer.getByRole('button', { name: 'Publish' });
    await expect.poll(() => publish.isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await publish.isDisabled()).toBe(true);
    expect(await publish.getAttribute('title')).toContain('journeys:publish');
    // The webhook's secret is the power to start runs: a viewer sees it hidden, and no error for it.
    await viewer.locator('.svelte-flow__node[data-id="hook"]').click();
    const secret = viewer.locator('[data-path="/secret"] input');
    await expect.poll(() => secret.inputValue(), { timeout: 15_000 }).toBe('[redacted]');
    expect(await viewer.locator('.error-text[role="alert"]').allTextContents()).toEqual([]);
    await viewer.getByRole('link', { name: 'Team' }).click();
    expect(await viewer.getByRole('button', { name: 'Invite' }).isDisabled()).toBe(true);
    await other.close();

    await page.getByRole('link', { name: 'History' }).click();
    await expect
      .poll(() => page.getByRole('cell', { name: 'member.joined' }).isVisible(), { timeout: 15_000 })
      .toBe(true);
  }, 120_000);
});
