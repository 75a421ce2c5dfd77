import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestApp } from '../../../support/runtime.js';
import { defaultWorkspace, makeUser, signIn } from '../../../teams/support.js';
import { createJourney, journeysApp } from '../support.js';

let t: TestApp;
beforeAll(async () => {
  t = await journeysApp();
});
afterAll(() => t?.close());

const call = (
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  payload?: object,
  headers: Record<string, string> = t.auth,
) => t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
const namesTagged = async (tag: string, headers: Record<string, string> = t.auth) =>
  (await call('GET', `/api/journeys?tag=${encodeURIComponent(tag)}`, undefined, headers))
    .json()
    .journeys.map((j: { name: string }) => j.name)
    .sort();

describe('journey tags', () => {
  test('a journey is made with tags, kept once each in the order given', async () => {
    const res = await call('POST', '/api/journeys', { name: 'Spring', tags: ['promo', 'Été 2026', 'promo'] });
    expect(res.statusCode).toBe(201);
    expect(res.json().tags).toEqual(['promo', 'Été 2026']);
    expect((await call('GET', `/api/journeys/${res.json().id}`)).json().tags).toEqual(['promo', 'Été 2026']);
  });

  test('a journey made without tags has none', async () => {
    const id = await createJourney(t, { name: 'Untagged' });
    expect((await call('GET', `/api/journeys/${id}`)).json().tags).toEqual([]);
    const listed = (await call('GET', '/api/journeys')).json().journeys.find((j: { id: string }) => j.id === id);
    expect(listed.tags).toEqual([]);
  });

  test('PATCH replaces the tags and leaves name and settings alone', async () => {
    const id = await createJourney(t, { name: 'Retag', tags: ['old'], settings: { reentry: 'once' } });
    const res = await call('PATCH', `/api/journeys/${id}`, { tags: ['onboarding', 'b2b'] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'Retag',
      tags: ['onboarding', 'b2b'],
      draft: { settings: { reentry: 'once' } },
    });
    expect((await call('PATCH', `/api/journeys/${id}`, { tags: [] })).json().tags).toEqual([]);
  });

  test('a journey made from a template takes the tags given', async () => {
    const res = await call('POST', '/api/journeys', { name: 'Hello', template: 'birthday', tags: ['welcome'] });
    expect(res.statusCode).toBe(201);
    expect(res.json().tags).toEqual(['welcome']);
  });

  test('the list filters by one tag, exactly', async () => {
    await createJourney(t, { name: 'Filter A', tags: ['filter-me', 'x'] });
    await createJourney(t, { name: 'Filter B', tags: ['filter-me'] });
    await createJourney(t, { name: 'Filter C', tags: ['Filter-me'] });
    expect(await namesTagged('filter-me')).toEqual(['Filter A', 'Filter B']);
    expect(await namesTagged('filter')).toEqual([]);
  });

  test('an archived journey is not listed under its tag', async () => {
    const id = await createJourney(t, { name: 'Gone', tags: ['archived-tag'] });
    await t.app.inject({ method: 'DELETE', url: `/api/journeys/${id}`, headers: t.auth });
    expect(await namesTagged('archived-tag')).toEqual([]);
  });

  test.each([
    ['an empty tag', [''], '/tags/0'],
    ['a tag of 65 characters', ['a'.repeat(65)], '/tags/0'],
    ['a tag starting with a space', [' promo'], '/tags/0'],
    ['a tag ending with a space', ['ok', 'promo '], '/tags/1'],
    ['a tag with markup', ['<script>'], '/tags/0'],
    ['a tag that is not a string', [{ name: 'promo' }], '/tags/0'],
    ['more than 20 tags', Array.from({ length: 21 }, (_, i) => `t${i}`), '/tags'],
    ['tags that are not a list', { promo: true }, '/tags'],
  ])('refuses %s with 400 naming the field', async (_what, tags, path) => {
    const created = await call('POST', '/api/journeys', { name: 'Bad', tags });
    expect(created.statusCode).toBe(400);
    expect(created.json().error.code).toBe('validation_failed');
    expect(created.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
    const id = await createJourney(t, { name: 'Bad patch' });
    const patched = await call('PATCH', `/api/journeys/${id}`, { tags });
    expect(patched.statusCode).toBe(400);
    expect(patched.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  test('refuses a tag filter that could be no tag with 400 naming the parameter', async () => {
    const res = await call('GET', `/api/journeys?tag=${encodeURIComponent(' x')}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '/tag' }] });
  });

  test("another workspace neither lists a workspace's journeys under their tag nor retags them", async () => {
    const ours = await createJourney(t, { name: 'Ours', tags: ['shared-name'] });
    const A = await defaultWorkspace(t.runtime.db);
    await makeUser(t.runtime.db, 'owner@example.com', A, 'owner');
    const owner = await signIn(t.app, 'owner@example.com');
    const B: string = (await call('POST', '/api/workspaces', { name: 'B' }, owner.headers)).json().id;
    const inB = { ...owner.headers, 'x-waymark-workspace': B };
    await call('POST', '/api/journeys', { name: 'Theirs', tags: ['shared-name'] }, inB);

    expect(await namesTagged('shared-name', inB)).toEqual(['Theirs']);
    expect(await namesTagged('shared-name')).toEqual(['Ours']);
    const retag = await call('PATCH', `/api/journeys/${ours}`, { tags: ['taken'] }, inB);
    expect(retag.statusCode).toBe(404);
    expect((await call('GET', `/api/journeys/${ours}`)).json().tags).toEqual(['shared-name']);
  });
});
