import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const postEvent = (payload: object) => t.app.inject({ method: 'POST', url: '/api/events', headers: t.auth, payload });

describe('POST /api/events', () => {
  test('an event for an unknown email creates the contact and answers 202 with the id', async () => {
    const res = await postEvent({ email: 'New@Example.com', name: 'signup', properties: { plan: 'pro' } });
    expect(res.statusCode).toBe(202);
    const { rows } = await t.runtime.pool.query(
      "select e.id, e.name, e.properties from events e join contacts c on c.id = e.contact_id where c.email = 'new@example.com'",
    );
    expect(rows).toEqual([{ id: res.json().id, name: 'signup', properties: { plan: 'pro' } }]);
  });

  test('a repeated idempotency key returns the first id and stores nothing more', async () => {
    const first = await postEvent({ externalId: 'idem', name: 'purchase', idempotencyKey: 'k-1' });
    const again = await postEvent({ externalId: 'idem', name: 'purchase', idempotencyKey: 'k-1' });
    expect(again.json().id).toBe(first.json().id);
    const { rows } = await t.runtime.pool.query("select count(*)::int as n from events where idempotency_key = 'k-1'");
    expect(rows[0].n).toBe(1);
  });

  test('concurrent repeats of one idempotency key store one event', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => postEvent({ externalId: 'idem2', name: 'x', idempotencyKey: 'k-2' })),
    );
    expect(new Set(results.map((r) => r.json().id)).size).toBe(1);
  });

  test('an event without any identity answers 400', async () => {
    const res = await postEvent({ name: 'orphan' });
    expect(res.statusCode).toBe(400);
  });

  test('an event whose only identity is a blank email answers 400 naming /email', async () => {
    const res = await postEvent({ email: '   ', name: 'orphan' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: '/email', message: 'identity missing' }]);
  });

  // No journey could wait for, exit on or count an event named by nothing.
  test.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['only a tab and a newline', '\t\n'],
  ])('a blank name (%s) answers 400 validation_failed naming /name, and stores nothing', async (_what, name) => {
    const res = await postEvent({ externalId: 'blank-name', name });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/name', message: 'body/name must not be blank' }],
    });
    const { rows } = await t.runtime.pool.query(
      "select count(*)::int as n from events e join contacts c on c.id = e.contact_id where c.external_id = 'blank-name'",
    );
    expect(rows[0].n).toBe(0);
  });

  test('a name with spaces around it is stored as given', async () => {
    const res = await postEvent({ externalId: 'spaced-name', name: ' signup ' });
    expect(res.statusCode).toBe(202);
    const { rows } = await t.runtime.pool.query('select name from events where id = $1', [res.json().id]);
    expect(rows).toEqual([{ name: ' signup ' }]);
  });

  test('an unknown contactId answers 404', async () => {
    const res = await postEvent({ contactId: '00000000-0000-4000-8000-000000000000', name: 'x' });
    expect(res.statusCode).toBe(404);
  });
});

describe('POST /api/events with a contactId and another identity', () => {
  const contact = async (payload: object): Promise<string> =>
    (await t.app.inject({ method: 'POST', url: '/api/contacts', headers: t.auth, payload })).json().id;
  const eventsOf = async (contactId: string) =>
    (await t.app.inject({ url: `/api/events?contactId=${contactId}`, headers: t.auth })).json().events;

  test('an email of another contact answers 400 naming /email and stores nothing', async () => {
    const ann = await contact({ email: 'ann-twice@example.com' });
    const bob = await contact({ email: 'bob-twice@example.com' });
    const res = await postEvent({ contactId: ann, email: 'Bob-Twice@example.com', name: 'clash' });
    expect([res.statusCode, res.json().error.code]).toEqual([400, 'validation_failed']);
    expect(res.json().error.details).toEqual([{ path: '/email', message: expect.stringContaining('another contact') }]);
    expect([await eventsOf(ann), await eventsOf(bob)]).toEqual([[], []]);
  });

  test('an externalId of another contact answers 400 naming /externalId', async () => {
    const ann = await contact({ externalId: 'crm-ann' });
    await contact({ externalId: 'crm-bob' });
    const res = await postEvent({ contactId: ann, externalId: 'crm-bob', name: 'clash' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([expect.objectContaining({ path: '/externalId' })]);
  });

  test('the contact’s own email records the event on it', async () => {
    const ann = await contact({ email: 'ann-own@example.com' });
    const res = await postEvent({ contactId: ann, email: 'ANN-OWN@example.com', name: 'agree' });
    expect(res.statusCode).toBe(202);
    expect((await eventsOf(ann)).map((e: { id: string }) => e.id)).toEqual([res.json().id]);
  });

  test('an email no contact holds is stored on the contact, as an upsert matched by externalId stores it', async () => {
    const ann = await contact({ externalId: 'crm-ann-new' });
    const res = await postEvent({ contactId: ann, email: 'ann-new@example.com', name: 'learned' });
    expect(res.statusCode).toBe(202);
    const stored = await t.app.inject({ url: `/api/contacts/${ann}`, headers: t.auth });
    expect(stored.json()).toMatchObject({ externalId: 'crm-ann-new', email: 'ann-new@example.com' });
    expect(await eventsOf(ann)).toHaveLength(1);
  });

  test('an invalid email beside a contactId answers 400 naming /email', async () => {
    const ann = await contact({ email: 'ann-bad@example.com' });
    const res = await postEvent({ contactId: ann, email: 'not-an-email', name: 'bad' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([expect.objectContaining({ path: '/email' })]);
    expect(await eventsOf(ann)).toEqual([]);
  });
});

describe('GET /api/events', () => {
  test('pages through a contact’s events newest first, each exactly once', async () => {
    for (let i = 0; i < 7; i++) {
      await postEvent({
        externalId: 'pager',
        name: 'view',
        properties: { i },
        timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 3)).toISOString(),
      });
    }
    const { rows } = await t.runtime.pool.query("select id from contacts where external_id = 'pager'");
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/events?contactId=${rows[0].id}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page: { events: { properties: { i: number } }[]; nextCursor: string | null } = (
        await t.app.inject({ method: 'GET', url, headers: t.auth })
      ).json();
      seen.push(...page.events.map((e: { properties: { i: number } }) => e.properties.i));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  test('a cursor it never gave out is refused as 400 naming /cursor, also one past any time', async () => {
    for (const keys of ['events:not a cursor', 'events:99999999999999999999999:00000000-0000-4000-8000-000000000000']) {
      const cursor = Buffer.from(keys).toString('base64url');
      const res = await t.app.inject({ url: `/api/events?cursor=${cursor}`, headers: t.auth });
      expect(res.statusCode, keys).toBe(400);
      expect(res.json().error.details, keys).toEqual([
        { path: '/cursor', message: 'querystring/cursor is not a nextCursor of this list' },
      ]);
    }
  });

  test('pages past an event dated in the year 9999', async () => {
    for (const timestamp of ['9999-12-31T23:59:59Z', '2026-01-01T00:00:00Z']) {
      await postEvent({ externalId: 'far-future', name: 'planned', timestamp });
    }
    const { rows } = await t.runtime.pool.query("select id from contacts where external_id = 'far-future'");
    const first = (await t.app.inject({ url: `/api/events?contactId=${rows[0].id}&limit=1`, headers: t.auth })).json();
    const url = `/api/events?contactId=${rows[0].id}&limit=1&cursor=${first.nextCursor}`;
    const second = (await t.app.inject({ url, headers: t.auth })).json();
    expect([...first.events, ...second.events].map((e: { timestamp: string }) => e.timestamp)).toEqual([
      '9999-12-31T23:59:59.000Z',
      '2026-01-01T00:00:00.000Z',
    ]);
  });
});
