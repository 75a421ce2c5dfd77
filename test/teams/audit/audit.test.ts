import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createJourney, journeysApp, validGraph } from '../../api/journeys/support.js';
import type { TestApp } from '../../support/runtime.js';
import { defaultWorkspace, makeUser, signIn } from '../support.js';

let t: TestApp;
beforeAll(async () => {
  t = await journeysApp();
});
afterAll(() => t.close());

const audit = async (query = '') =>
  (await t.app.inject({ method: 'GET', url: `/api/audit${query}`, headers: t.auth })).json() as {
    entries: {
      id: string;
      actor: { type: string; id: string | null; name: string; email?: string };
      action: string;
      object: { type: string; id: string };
      details?: Record<string, unknown>;
    }[];
    nextCursor: string | null;
  };

describe('the audit log', () => {
  test('records journey changes with who, what and the version diff', async () => {
    const ws = await defaultWorkspace(t.runtime.db);
    await makeUser(t.runtime.db, 'ed@example.com', ws, 'editor');
    const ed = await signIn(t.app, 'ed@example.com');
    const id = await createJourney(t);
    const draft = await t.app.inject({
      method: 'PUT',
      url: `/api/journeys/${id}/draft`,
      headers: ed.headers,
      payload: { graph: validGraph('Hi again') },
    });
    expect(draft.statusCode).toBe(200);
    const published = await t.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: ed.headers });
    expect(published.statusCode).toBe(201);
    const { entries } = await audit(`?object=${id}`);
    expect(entries.map((e) => e.action)).toEqual(['journey.published', 'journey.draft_saved', 'journey.created']);
    const [pub, saved, created] = entries;
    expect(created?.actor).toMatchObject({ type: 'token', name: 'WAYMARK_API_TOKEN' });
    expect(pub?.actor).toMatchObject({ type: 'user', email: 'ed@example.com' });
    expect(pub?.object).toEqual({ type: 'journey', id });
    const diff = (
      await t.app.inject({ method: 'GET', url: `/api/journeys/${id}/diff?from=1&to=1`, headers: t.auth })
    ).json();
    expect(pub?.details).toMatchObject({ version: 1 });
    expect(Object.keys((pub?.details as { diff: object } | undefined)?.diff ?? {}).sort()).toEqual(
      Object.keys(diff).sort(),
    );
    expect(JSON.stringify(saved?.details)).toContain('step');
    const byActor = await audit(`?actor=${ed.userId}`);
    expect(byActor.entries.map((e) => e.action)).toEqual(['journey.published', 'journey.draft_saved']);
  });

  test('contact export and erasure are logged with ids only; reads are not', async () => {
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: t.auth,
      payload: { email: 'secret-person@example.com' },
    });
    const contactId = made.json().id as string;
    await t.app.inject({ method: 'GET', url: `/api/contacts/${contactId}`, headers: t.auth });
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/contacts/${contactId}/export`, headers: t.auth })).statusCode,
    ).toBe(200);
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/api/contacts/${contactId}`, headers: t.auth })).statusCode,
    ).toBe(204);
    const { entries } = await audit(`?object=${contactId}`);
    expect(entries.map((e) => e.action)).toEqual(['contact.erased', 'contact.exported', 'contact.created']);
    expect(JSON.stringify(entries)).not.toContain('secret-person');
  });

  test('entries are identified by UUIDs', async () => {
    const { entries } = await audit();
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
  });

  test('pages return every entry once, newest first', async () => {
    const made: string[] = [];
    for (const name of ['Paged 1', 'Paged 2', 'Paged 3'])
      made.push(
        (await t.app.inject({ method: 'POST', url: '/api/journeys', headers: t.auth, payload: { name } })).json().id,
      );
    const whole = (await audit()).entries.map((e) => e.id);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await audit(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.entries.length).toBeLessThanOrEqual(2);
      paged.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(whole);
    const created = (await audit('?action=journey.created&limit=3')).entries.map((e) => e.object.id);
    expect(created).toEqual([...made].reverse());
  });

  test('a cursor this API did not give out is refused', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/audit?cursor=54', headers: t.auth });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
  });

  test('the table refuses UPDATE and DELETE', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/audit?limit=0', headers: t.auth })).statusCode).toBe(400);
    await expect(sql`update audit_log set action = 'x'`.execute(t.runtime.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log`.execute(t.runtime.db)).rejects.toThrow(/append-only/);
  });

  test('events and live tickets are not recorded', async () => {
    const before = (await audit()).entries.length;
    await t.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: t.auth,
      payload: { type: 'x.y', contact: { email: 'e@example.com' } },
    });
    await t.app.inject({ method: 'POST', url: '/api/live/ticket', headers: t.auth });
    const after = (await audit()).entries;
    expect(after.length === before || !after.some((e) => e.action.startsWith('event'))).toBe(true);
  });
});

describe('GET /api/audit limits', () => {
  const status = async (query: string) =>
    (await t.app.inject({ method: 'GET', url: `/api/audit${query}`, headers: t.auth })).statusCode;

  test('limit is 1 to 1000: 0 and 1001 answer 400, 1 and 1000 are taken', async () => {
    expect(await status('?limit=0')).toBe(400);
    expect(await status('?limit=1001')).toBe(400);
    expect(await status('?limit=1')).toBe(200);
    expect(await status('?limit=1000')).toBe(200);
  });

  test('without limit a page holds at most 100 entries', async () => {
    for (let i = 0; i < 105; i++)
      await t.app.inject({
        method: 'PUT',
        url: '/api/settings/identity',
        headers: t.auth,
        payload: { autoMerge: true, autoMergeOn: ['email'] },
      });
    const page = await audit();
    expect(page.entries).toHaveLength(100);
    expect(page.nextCursor).not.toBeNull();
  });
});
