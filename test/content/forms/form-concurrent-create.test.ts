import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { defaultWorkspace, makeUser, signIn } from '../../teams/support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://forms.example.com' });
});
afterAll(async () => {
  await t.close();
});

const form = (name: string) => ({
  name,
  fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
});
const put = (id: string, payload: object, headers: Record<string, string> = t.auth) =>
  t.app.inject({ method: 'PUT', url: `/api/forms/${id}`, headers, payload });

describe('creating one form id at once', () => {
  test('eight PUTs of a new id answer one 201 and seven 200, and one form is stored', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => put('launch', form('Launch'))));
    const statuses = answers.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    const listed = await t.app.inject({ url: '/api/forms', headers: t.auth });
    expect(listed.json().forms.filter((f: { id: string }) => f.id === 'launch')).toHaveLength(1);
    expect(answers.every((r) => r.json().version === 1)).toBe(true);
  });

  test('PUTs of one new id from two workspaces at once: one workspace gets the form, the other 409', async () => {
    const A = await defaultWorkspace(t.runtime.db);
    await makeUser(t.runtime.db, 'owner@example.com', A, 'owner');
    const owner = await signIn(t.app, 'owner@example.com');
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/workspaces',
      headers: owner.headers,
      payload: { name: 'B' },
    });
    const inB = { ...owner.headers, 'x-waymark-workspace': made.json().id };
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? put('contested', form('A')) : put('contested', form('B'), inB))),
    );
    const created = answers.filter((r) => r.statusCode === 201);
    expect(created).toHaveLength(1);
    const winner = created[0]?.json().name;
    for (const [i, r] of answers.entries()) {
      const mine = (i % 2 ? 'A' : 'B') === winner;
      if (r.statusCode !== 201) expect(r.statusCode).toBe(mine ? 200 : 409);
    }
  });
});
