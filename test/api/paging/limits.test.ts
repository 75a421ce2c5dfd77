import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { getPage, LISTS, refused, seedEveryList, withQuery } from './support.js';

// `limit` of every paged list (schemas/paging.ts): its contract's default and bounds, and the
// same 400 at /limit for anything else.
let t: TestApp;
const SEEDED = 101;

beforeAll(async () => {
  t = await createTestApp();
  await seedEveryList(t, SEEDED);
});
afterAll(() => t?.close());

describe.each(LISTS)('$url?limit=', (list) => {
  test('absent, a page holds at most the contract’s default, and a nextCursor follows when more rows do', async () => {
    const page = await getPage(t, list, list.url);
    const all = (await getPage(t, list, withQuery(list.url, `limit=${list.max}`))).ids.length;
    expect(page.ids).toHaveLength(Math.min(list.byDefault, all));
    expect(page.nextCursor).toEqual(all > list.byDefault ? expect.any(String) : null);
  });

  test('1 answers one row', async () => {
    expect((await getPage(t, list, withQuery(list.url, 'limit=1'))).ids).toHaveLength(1);
  });

  test('the maximum answers every row on one page, with no nextCursor', async () => {
    const page = await getPage(t, list, withQuery(list.url, `limit=${list.max}`));
    expect(page.ids.length).toBeGreaterThanOrEqual(SEEDED);
    expect(page.nextCursor).toBeNull();
  });

  test.each([
    ['max + 1', () => String(list.max + 1), `querystring/limit must be <= ${list.max}`],
    ['0', () => '0', 'querystring/limit must be >= 1'],
    ['negative', () => '-1', 'querystring/limit must be >= 1'],
    ['a fraction', () => '1.5', 'querystring/limit must be integer'],
    ['not a number', () => 'abc', 'querystring/limit must be integer'],
    ['empty', () => '', 'querystring/limit must be integer'],
    ['repeated', () => '1&limit=2', 'querystring/limit must be integer'],
  ])('%s is 400 validation_failed at /limit', async (_, value, message) => {
    const error = await refused(t, withQuery(list.url, `limit=${value()}`));
    expect(error).toEqual({
      code: 'validation_failed',
      message: "the request's querystring is invalid",
      details: [{ path: '/limit', message }],
    });
  });
});

describe('/api/packages/search?limit=', () => {
  // Refused before the registry is asked: the same schema, its own bounds (contracts/packages.md).
  test.each([
    ['101', 'querystring/limit must be <= 100'],
    ['0', 'querystring/limit must be >= 1'],
    ['abc', 'querystring/limit must be integer'],
  ])('%s is 400 at /limit', async (value, message) => {
    expect((await refused(t, `/api/packages/search?q=x&limit=${value}`)).details).toEqual([
      { path: '/limit', message },
    ]);
  });
});
