import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import {
  getPage,
  LISTS,
  type PagedList,
  refused,
  seedEveryList,
  seedMicrosecondsApart,
  TIMED,
  walk,
  withQuery,
} from './support.js';

// Every paged list reads and answers its cursor alike (engine/db/cursor.ts, schemas/paging.ts).
let t: TestApp;
let spread: Record<string, string>;

beforeAll(async () => {
  t = await createTestApp();
  await seedEveryList(t, 7);
  spread = await seedMicrosecondsApart(t, 9);
});
afterAll(() => t?.close());

const cursorError = { path: '/cursor', message: 'querystring/cursor is not a nextCursor of this list' };

/** A real nextCursor of `list`: the one after its first row. */
async function firstCursor(list: PagedList): Promise<string> {
  const page = await getPage(t, list, withQuery(list.url, 'limit=1'));
  expect(page.nextCursor).toEqual(expect.any(String));
  return page.nextCursor as string;
}

describe.each(LISTS)('$url', (list) => {
  test('following nextCursor visits every row once, in the order of one long page, rows sharing a time included', async () => {
    const whole = await getPage(t, list, withQuery(list.url, `limit=${list.max}`));
    const pages = await walk(t, list, list.url, 3);
    expect(pages.flatMap((p) => p.ids)).toEqual(whole.ids);
    expect(whole.ids.length).toBeGreaterThanOrEqual(7);
  });

  test('answers nextCursor null on the last page only', async () => {
    const pages = await walk(t, list, list.url, 3);
    expect(pages.map((p) => p.nextCursor === null)).toEqual(pages.map((_, i) => i === pages.length - 1));
  });

  test('answers the first page to an empty cursor, as the contract writes `cursor=`', async () => {
    const first = await getPage(t, list, withQuery(list.url, 'limit=2'));
    expect(await getPage(t, list, withQuery(list.url, 'limit=2&cursor='))).toEqual(first);
  });

  test('refuses a cursor it never gave out, naming it', async () => {
    const error = await refused(t, `${list.url}?cursor=not-a-cursor`);
    expect(error).toMatchObject({ code: 'validation_failed', details: [cursorError] });
  });

  test('refuses the nextCursor of another list', async () => {
    for (const other of LISTS.filter((l) => l !== list)) {
      const error = await refused(t, `${list.url}?cursor=${await firstCursor(other)}`);
      expect(error.details, other.url).toEqual([cursorError]);
    }
  });

  test('refuses a cursor over 200 characters before reading it', async () => {
    const long = `${await firstCursor(list)}${'A'.repeat(200)}`;
    expect((await refused(t, `${list.url}?cursor=${long}`)).details).toEqual([
      { path: '/cursor', message: 'querystring/cursor must NOT have more than 200 characters' },
    ]);
  });
});

describe.each(TIMED)('$url, rows a microsecond apart', (list) => {
  test('pages skip none and repeat none', async () => {
    const url = `${list.url}?${spread[list.url]}`;
    const pages = await walk(t, list, url, 2);
    const ids = pages.flatMap((p) => p.ids);
    expect(ids).toHaveLength(9);
    expect(ids).toEqual((await getPage(t, list, withQuery(url, 'limit=9'))).ids);
  });
});

describe('/api/runs cursor', () => {
  test("a run's id is no cursor: the cursor is the nextCursor the list gave, nothing else", async () => {
    const runs = LISTS.find((l) => l.rows === 'runs') as PagedList;
    const { ids } = await getPage(t, runs, '/api/runs?limit=1');
    expect((await refused(t, `/api/runs?cursor=${ids[0]}`)).details).toEqual([cursorError]);
  });
});

// Last: it deletes rows the tests above list.
describe.each(TIMED)('$url, the row of a cursor deleted', (list) => {
  test('the cursor pages on from its place', async () => {
    const url = `${list.url}?${spread[list.url]}`;
    const before = await walk(t, list, url, 3);
    const [first, second] = before;
    const gone = first?.ids.at(-1) as string;
    const table = list.url.slice('/api/'.length);
    await sql`delete from ${sql.table(table)} where id = ${gone}`.execute(t.runtime.db);
    const after = await getPage(t, list, withQuery(url, `limit=3&cursor=${first?.nextCursor}`));
    expect(after).toEqual(second);
  });
});
