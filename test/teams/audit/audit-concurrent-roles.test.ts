import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { defaultWorkspace, makeUser } from '../support.js';

// teams.md "Audit log": entries are appended in the same transaction as the change; member
// changes carry details { from, to } (server/README.md). Two role changes of one member at
// once follow one another, and so do their entries.

let t: TestApp;
let ws: string;
beforeAll(async () => {
  t = await createTestApp();
  ws = await defaultWorkspace(t.runtime.db);
});
afterAll(() => t.close());

const ROUNDS = 20;
const ROLES = ['editor', 'author', 'admin', 'viewer'] as const;

describe('two role changes of one member at once', () => {
  test("each entry's from is the role the change before it left", async () => {
    const userId = await makeUser(t.runtime.db, 'changing@example.com', ws, 'viewer');
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b] = [ROLES[round % 4], ROLES[(round + 1) % 4]];
      const changes = await Promise.all(
        [a, b].map((role) =>
          t.app.inject({
            method: 'PATCH',
            url: `/api/workspaces/${ws}/members/${userId}`,
            headers: t.auth,
            payload: { role },
          }),
        ),
      );
      expect(changes.map((c) => c.statusCode)).toEqual([200, 200]);
    }
    const { entries } = (
      await t.app.inject({
        method: 'GET',
        url: `/api/audit?object=${userId}&action=member.role_changed`,
        headers: t.auth,
      })
    ).json() as { entries: { details: { from: string; to: string } }[] };
    expect(entries).toHaveLength(2 * ROUNDS);
    const oldestFirst = entries.map((e) => e.details).reverse();
    expect(oldestFirst[0]?.from).toBe('viewer');
    for (let i = 1; i < oldestFirst.length; i++)
      expect(oldestFirst[i]?.from, `entry ${i}`).toBe(oldestFirst[i - 1]?.to);
    const { members } = (
      await t.app.inject({ method: 'GET', url: `/api/workspaces/${ws}/members`, headers: t.auth })
    ).json() as { members: { userId: string; role: string }[] };
    expect(members.find((m) => m.userId === userId)?.role).toBe(oldestFirst.at(-1)?.to);
  });
});
