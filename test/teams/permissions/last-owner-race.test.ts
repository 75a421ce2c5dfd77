import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type Browser, makeUser, makeWorkspace, signIn } from '../support.js';

// teams.md "Workspaces": the last user with role owner cannot be demoted or removed → 409,
// whichever case each request spells the workspace id in (a UUID is the same id either way).

let t: TestApp;
let ws: string;
let first: Browser;
let second: Browser;
beforeAll(async () => {
  t = await createTestApp();
  await makeUser(t.runtime.db, 'first-owner@example.com', null);
  first = await signIn(t.app, 'first-owner@example.com');
  ws = await makeWorkspace(t.app, first, 'Two owners');
  await makeUser(t.runtime.db, 'second-owner@example.com', ws, 'owner');
  second = await signIn(t.app, 'second-owner@example.com');
});
afterAll(() => t.close());

/** Both users owners again, whatever the last round left. */
async function twoOwners() {
  for (const userId of [first.userId, second.userId])
    await t.runtime.db
      .insertInto('memberships')
      .values({ workspace_id: ws, user_id: userId, role: 'owner' })
      .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doUpdateSet({ role: 'owner' }))
      .execute();
}

// Read from the table: a member who is gone can no longer list the members.
const owners = async () =>
  (
    await t.runtime.db
      .selectFrom('memberships')
      .select('user_id')
      .where('workspace_id', '=', ws)
      .where('role', '=', 'owner')
      .execute()
  ).length;

const ROUNDS = 12;

describe('two owners at once, one spelling the workspace id in upper case', () => {
  test('demoting each other: one is answered 200, the other refused, and one owner stays', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await twoOwners();
      const answers = await Promise.all([
        t.app.inject({
          method: 'PATCH',
          url: `/api/workspaces/${ws}/members/${second.userId}`,
          headers: first.headers,
          payload: { role: 'admin' },
        }),
        t.app.inject({
          method: 'PATCH',
          url: `/api/workspaces/${ws.toUpperCase()}/members/${first.userId}`,
          headers: second.headers,
          payload: { role: 'admin' },
        }),
      ]);
      // The loser is refused 409 (the last owner), or 403 when its request was let in after
      // the winner's demotion made it an admin, who may not take away owner.
      const [won, lost] = answers.map((a) => a.statusCode).sort();
      expect(won, `round ${round}`).toBe(200);
      expect([403, 409], `round ${round}`).toContain(lost);
      expect(await owners(), `round ${round}`).toBe(1);
    }
  });

  test('each removing themselves: one is answered 204, the other 409, and one owner stays', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await twoOwners();
      const answers = await Promise.all([
        t.app.inject({
          method: 'DELETE',
          url: `/api/workspaces/${ws}/members/${first.userId}`,
          headers: first.headers,
        }),
        t.app.inject({
          method: 'DELETE',
          url: `/api/workspaces/${ws.toUpperCase()}/members/${second.userId}`,
          headers: second.headers,
        }),
      ]);
      expect(answers.map((a) => a.statusCode).sort(), `round ${round}`).toEqual([204, 409]);
      expect(await owners(), `round ${round}`).toBe(1);
    }
  });
});
