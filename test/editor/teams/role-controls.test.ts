import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';
import { defaultWorkspace, makeUser, PASSWORD } from '../../teams/support.js';

// teams.md "OpenAPI and the editor": the editor shows "controls the role does not allow
// disabled with the missing permission as reason".
describe.skipIf(!hasChromium)('controls a role may not use', () => {
  let s: EditorSession;
  let viewer: Page;
  let author: Page;
  let journeyId: string;

  const asOwnerToken = { authorization: `Bearer ${TEST_TOKEN}` };

  async function signedIn(email: string): Promise<Page> {
    const page = await (await s.browser.newContext()).newPage();
    await page.goto(`${s.url}/journeys`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Journeys' }).waitFor({ timeout: 15_000 });
    return page;
  }

  /** Opens a page once the editor knows the user's role (before, it allows nothing). */
  async function open(page: Page, path: string): Promise<void> {
    await page.goto(`${s.url}${path}`);
    await page.locator('.who', { hasText: ' · ' }).waitFor({ timeout: 10_000 });
  }

  /** Waits for the control, then answers whether it is disabled and the reason it shows. */
  async function refused(control: Locator): Promise<{ disabled: boolean; reason: string | null }> {
    await expect.poll(() => control.isVisible(), { timeout: 10_000 }).toBe(true);
    return { disabled: await control.isDisabled(), reason: await control.getAttribute('title') };
  }

  const needs = (permission: string) => ({ disabled: true, reason: expect.stringContaining(permission) });

  beforeAll(async () => {
    s = await openEditor();
    const db = s.base.runtime.db;
    const ws = await defaultWorkspace(db);
    await makeUser(db, 'viewer@example.com', ws, 'viewer');
    await makeUser(db, 'author@example.com', ws, 'author');
    const made = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: asOwnerToken,
      payload: {
        name: 'Welcome',
        graph: {
          nodes: [
            { id: 'start', type: 'core.event', version: 1, params: { event: 'signup' }, position: { x: 0, y: 0 } },
            { id: 'pause', type: 'core.wait', version: 1, params: { duration: 'P1D' }, position: { x: 0, y: 150 } },
            {
              id: 'tag',
              type: 'crm.tag',
              version: 1,
              params: { action: 'add', tag: 'new' },
              position: { x: 0, y: 300 },
            },
          ],
          edges: [
            { id: 'e1', source: 'start', sourceHandle: 'out', target: 'pause' },
            { id: 'e2', source: 'pause', sourceHandle: 'out', target: 'tag' },
          ],
        },
      },
    });
    journeyId = made.json().id;
    await s.app.inject({
      method: 'PUT',
      url: '/api/templates/welcome',
      headers: asOwnerToken,
      payload: { name: 'Welcome', format: 'html', subject: 'Hi', body: '<p>Hi</p>' },
    });
    viewer = await signedIn('viewer@example.com');
    author = await signedIn('author@example.com');
  }, 120_000);
  afterAll(() => s?.close());

  test('a viewer cannot create a journey: Create journey is disabled naming journeys:write', async () => {
    await open(viewer, `/journeys`);
    expect(await refused(viewer.getByRole('button', { name: 'Create journey' }))).toEqual(needs('journeys:write'));
  });

  test('a viewer cannot rename a journey from the list: Rename is disabled naming journeys:write', async () => {
    await open(viewer, `/journeys`);
    expect(await refused(viewer.getByRole('button', { name: 'Rename' }))).toEqual(needs('journeys:write'));
  });

  test('an author cannot archive a journey: Delete is disabled naming journeys:publish', async () => {
    await open(author, `/journeys`);
    expect(await refused(author.getByRole('button', { name: 'Delete' }))).toEqual(needs('journeys:publish'));
  });

  test('a viewer cannot rename an open journey: its name is disabled naming journeys:write', async () => {
    await open(viewer, `/journeys/${journeyId}`);
    expect(await refused(viewer.getByLabel('Journey name'))).toEqual(needs('journeys:write'));
  });

  test('a viewer cannot change the draft: the canvas tools are disabled naming journeys:write', async () => {
    await open(viewer, `/journeys/${journeyId}`);
    expect(await refused(viewer.getByRole('button', { name: 'Auto-layout' }))).toEqual(needs('journeys:write'));
  });

  test('a viewer cannot add a node: the palette’s nodes are disabled naming journeys:write', async () => {
    await open(viewer, `/journeys/${journeyId}`);
    const item = viewer.getByRole('button', { name: /Exit/ }).first();
    expect(await refused(item)).toEqual(needs('journeys:write'));
  });

  test('a viewer cannot make a template: New template is disabled naming journeys:write', async () => {
    await open(viewer, `/templates`);
    expect(await refused(viewer.getByRole('button', { name: 'New template' }))).toEqual(needs('journeys:write'));
  });

  test('a viewer cannot save a template: Save is disabled naming journeys:write', async () => {
    await open(viewer, `/templates/welcome`);
    expect(await refused(viewer.getByRole('button', { name: 'Save', exact: true }))).toEqual(needs('journeys:write'));
  });

  test('a viewer cannot save a form: Save is disabled naming journeys:write', async () => {
    await open(viewer, `/forms/signup`);
    expect(await refused(viewer.getByRole('button', { name: 'Save', exact: true }))).toEqual(needs('journeys:write'));
  });

  test('a viewer cannot change a node: its inspector fields are disabled naming journeys:write', async () => {
    await open(viewer, `/journeys/${journeyId}`);
    await viewer.locator('.svelte-flow__node[data-id="start"]').click();
    const field = viewer.locator('.field[data-path="/event"]').getByRole('textbox');
    expect(await refused(field)).toEqual(needs('journeys:write'));
  });

  test('a viewer cannot change a wait: its duration picker is disabled naming journeys:write', async () => {
    await open(viewer, `/journeys/${journeyId}`);
    await viewer.locator('.svelte-flow__node[data-id="pause"]').click();
    for (const label of ['Amount', 'Unit', 'ISO 8601 duration'])
      expect(await refused(viewer.getByLabel(label, { exact: true }))).toEqual(needs('journeys:write'));
  });

  test('a viewer cannot change how a node fails: On error is disabled naming journeys:write', async () => {
    await open(viewer, `/journeys/${journeyId}`);
    await viewer.locator('.svelte-flow__node[data-id="tag"]').click();
    expect(await refused(viewer.getByLabel('On error', { exact: true }))).toEqual(needs('journeys:write'));
  });

  test('a viewer cannot change the settings: each is disabled naming journeys:write', async () => {
    await open(viewer, `/journeys/${journeyId}`);
    await viewer.getByRole('tab', { name: 'Settings' }).click();
    for (const label of [/^Re-entry/, /^Exit on events/, 'Max calls', /^Entry cap/, 'Entry rate count', /^Goal event/])
      expect(await refused(viewer.getByLabel(label))).toEqual(needs('journeys:write'));
  });

  test('a viewer cannot upload a package: the tarball picker is disabled naming admin', async () => {
    await open(viewer, `/packages`);
    expect(await refused(viewer.getByLabel('Upload a package tarball'))).toEqual(needs('admin'));
  });

  test('a viewer cannot make a token: its scopes are disabled naming admin', async () => {
    await open(viewer, `/team`);
    expect(await refused(viewer.getByRole('checkbox', { name: 'journeys:read' }))).toEqual(needs('admin'));
  });

  test('a viewer sees the credentials but cannot make, edit or delete one: each is disabled naming admin', async () => {
    await s.app.inject({
      method: 'POST',
      url: '/api/credentials',
      headers: asOwnerToken,
      payload: { name: 'Mailer', type: 'email.smtp', data: { host: 'smtp.example.com', port: 587 } },
    });
    await open(viewer, `/credentials`);
    expect(await refused(viewer.getByRole('button', { name: 'New credential' }))).toEqual(needs('admin'));
    expect(await refused(viewer.getByRole('button', { name: 'Edit Mailer' }))).toEqual(needs('admin'));
    expect(await refused(viewer.getByRole('button', { name: 'Delete Mailer' }))).toEqual(needs('admin'));
  });

  test('an author may still edit the draft: the canvas tools are enabled', async () => {
    await open(author, `/journeys/${journeyId}`);
    const layout = author.getByRole('button', { name: 'Auto-layout' });
    await expect.poll(() => layout.isVisible(), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => layout.isDisabled(), { timeout: 15_000 }).toBe(false);
  });
});
