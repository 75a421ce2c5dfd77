import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium } from '../../support/browser.js';
import { defaultWorkspace, makeUser, ownWorkspace, PASSWORD, signIn } from '../../teams/support.js';

// Without SMTP_URL an invitation link is shown to its inviter, and the join page is not told
// whether the email has an account unless the inviter already sees it (server/README.md).
// The page then says an existing account's password works, and it does.
describe.skipIf(!hasChromium)('the join page of an invitation link', () => {
  const t = editorPagePerTest();

  /** `inviter` (a member of the default workspace with `role`) invites `email` to a workspace of their own: the link. */
  async function linkFrom(inviter: string, role: 'admin' | 'viewer', email: string): Promise<string> {
    const db = t.s.base.runtime.db;
    const ws = await defaultWorkspace(db);
    await makeUser(db, inviter, ws, role);
    await makeUser(db, email, ws, 'viewer');
    const browser = await signIn(t.s.app, inviter);
    const own = await ownWorkspace(t.s.app, browser, `${inviter}'s`);
    const made = await t.s.app.inject({
      method: 'POST',
      url: `/api/workspaces/${own}/invitations`,
      headers: browser.headers,
      payload: { email, role: 'editor' },
    });
    // The link names PUBLIC_URL; the page is the one this test serves.
    return `${t.s.url}/invite/${made.json().link.split('/invite/')[1]}`;
  }

  test('not told of the account, it says its password works; the person joins with it', async () => {
    const link = await linkFrom('stranger@example.com', 'viewer', 'member@example.com');
    await t.page.goto(link);
    await expect
      .poll(() => t.page.getByRole('form', { name: 'Join a workspace' }).textContent())
      .toContain('Already have a Waymark account with this email? Give its password instead.');
    await t.page.getByLabel('Password (10 characters or more)').fill(PASSWORD);
    await t.page.getByRole('button', { name: 'Join' }).click();
    await expect.poll(() => t.page.locator('.who').textContent(), { timeout: 15_000 }).toContain('member@example.com');
  });

  test('told of the account, it asks for that password and says nothing more', async () => {
    const link = await linkFrom('lead@example.com', 'admin', 'colleague@example.com');
    await t.page.goto(link);
    await t.page.getByLabel('Your password').waitFor();
    expect(await t.page.getByText('Already have a Waymark account').count()).toBe(0);
  });
});
