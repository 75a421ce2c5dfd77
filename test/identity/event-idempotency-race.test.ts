import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const contactsNamed = async (prefix: string) => {
  const segment = JSON.stringify({ attr: 'email', op: 'contains', value: prefix });
  return (await t.app.inject({ url: `/api/contacts?segment=${encodeURIComponent(segment)}`, headers: t.auth })).json()
    .contacts;
};

describe('a repeated idempotencyKey racing its first event', () => {
  test('answers the first event’s id and creates no contact for the repeats’ identities', async () => {
    for (let round = 1; round <= 3; round++) {
      const key = `race-key-${round}`;
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          t.app.inject({
            method: 'POST',
            url: '/api/events',
            headers: t.auth,
            payload: { email: `idem-${round}-${i}@example.com`, name: 'ordered', idempotencyKey: key },
          }),
        ),
      );
      expect(answers.map((a) => a.statusCode)).toEqual(answers.map(() => 202));
      const ids = new Set(answers.map((a) => a.json().id));
      expect(ids.size).toBe(1);
      const contacts = await contactsNamed(`idem-${round}-`);
      expect(contacts).toHaveLength(1);
      const { events } = (
        await t.app.inject({ url: `/api/events?contactId=${contacts[0].id}&name=ordered`, headers: t.auth })
      ).json();
      expect(events.map((e: { id: string }) => e.id)).toEqual([...ids]);
    }
  });
});
