import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';
import { defaultWorkspace, makeUser, PASSWORD } from '../../teams/support.js';

// teams.md "OpenAPI and the editor": "a Team page (invite, change role, remove, tokens)";
// "Any member may remove themselves"; granting or taking away owner needs owner.
describe.skipIf(!hasChromium)('the Team page', () => {
  let s: EditorSession;
  let ws: string;
  let admin: Page;

  const asOwnerToken = { authorization: `Bearer ${TEST_TOKEN}` };
  const tokens = async () =>
    (await s.app.inject({ method: 'GET', url: '/api/tokens', headers: asOwnerToken })).json().tokens as {
      id: string;
      name: string;
      scopes: string[];
    }[];

  async function teamPageOf(email: string): Promise<Page> {
    const page = await (await s.browser.newContext()).newPage();
    await page.goto(`${s.url}/team`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /^Team/ }).waitFor({ timeout: 15_000 });
    return page;
  }

  beforeAll(async () => {
    s = await openEditor();
    const db = s.base.runtime.db;
    ws = await defaultWorkspace(db);
    await makeUser(db, 'owner@example.com', ws, 'owner');
    await makeUser(db, 'admin@example.com', ws, 'admin');
    await makeUser(db, 'leaver@example.com', ws, 'viewer');
    admin = await teamPageOf('admin@example.com');
  }, 120_000);
  afterAll(() => s?.close());

  test('an admin makes a token with the scopes chosen and is shown its secret once', async () => {
    await admin.getByLabel('Token name').fill('ci reader');
    await admin.getByRole('checkbox', { name: 'admin', exact: true }).uncheck();
    await admin.getByRole('checkbox', { name: 'journeys:read', exact: true }).check();
    await admin.getByRole('button', { name: 'Make token' }).click();
    const secret = admin.locator('.token-secret');
    await secret.waitFor({ timeout: 10_000 });
    const shown = (await secret.textContent())?.trim() as string;
    expect(shown).toMatch(/^wm_/);
    expect((await tokens()).find((t) => t.name === 'ci reader')?.scopes).toEqual(['journeys:read']);
    const me = await s.app.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { authorization: `Bearer ${shown}` },
    });
    expect(me.json().principal).toMatchObject({ type: 'token', name: 'ci reader' });
  });

  test('an admin revokes a token from its row', async () => {
    await s.app.inject({ method: 'POST', url: '/api/tokens', headers: asOwnerToken, payload: { name: 'old script' } });
    await admin.reload();
    await admin.getByRole('button', { name: 'Revoke old script' }).click();
    await expect
      .poll(async () => (await tokens()).some((t) => t.name === 'old script'), { timeout: 15_000 })
      .toBe(false);
  });

  test('an admin cannot revoke the environment token: its Revoke is disabled naming owner', async () => {
    const revoke = admin.getByRole('button', { name: 'Revoke WAYMARK_API_TOKEN' });
    await revoke.waitFor({ timeout: 10_000 });
    expect(await revoke.isDisabled()).toBe(true);
    expect(await revoke.getAttribute('title')).toContain('owner');
  });

  test('an admin cannot revoke an invitation as owner: its Revoke is disabled naming owner', async () => {
    for (const [email, role] of [
      ['heir@example.com', 'owner'],
      ['helper@example.com', 'editor'],
    ])
      await s.app.inject({
        method: 'POST',
        url: `/api/workspaces/${ws}/invitations`,
        headers: asOwnerToken,
        payload: { email, role },
      });
    await admin.reload();
    const owners = admin.getByRole('button', { name: 'Revoke the invitation of heir@example.com' });
    await owners.waitFor({ timeout: 10_000 });
    expect([await owners.isDisabled(), await owners.getAttribute('title')]).toEqual([
      true,
      expect.stringContaining('owner'),
    ]);
    const editors = admin.getByRole('button', { name: 'Revoke the invitation of helper@example.com' });
    expect(await editors.isDisabled()).toBe(false);
  });

  test('an admin cannot change an owner’s role or remove them: both controls name owner', async () => {
    const role = admin.getByLabel('Role of owner@example.com');
    await role.waitFor({ timeout: 10_000 });
    expect([await role.isDisabled(), await role.getAttribute('title')]).toEqual([
      true,
      expect.stringContaining('owner'),
    ]);
    const remove = admin.getByRole('button', { name: 'Remove owner@example.com' });
    expect([await remove.isDisabled(), await remove.getAttribute('title')]).toEqual([
      true,
      expect.stringContaining('owner'),
    ]);
  });

  test('any member may leave the workspace, a viewer too', async () => {
    const viewer = await teamPageOf('leaver@example.com');
    viewer.on('dialog', (dialog) => void dialog.accept());
    await viewer.getByRole('button', { name: 'Leave workspace' }).click();
    await expect
      .poll(async () => {
        const { members } = (
          await s.app.inject({ method: 'GET', url: `/api/workspaces/${ws}/members`, headers: asOwnerToken })
        ).json();
        return members.some((m: { email: string }) => m.email === 'leaver@example.com');
      })
      .toBe(false);
  });
});
