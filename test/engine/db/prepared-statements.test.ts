import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../../engine/db/connect.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

let tdb: TestDatabase;
// One connection, so that what one statement prepared the next one sees.
let one: DatabaseHandle;

beforeAll(async () => {
  tdb = await createTestDatabase();
  one = connectDatabase(tdb.url, { max: 1 });
});
afterAll(async () => {
  await one?.close();
  await tdb?.drop();
});

async function preparedLike(fragment: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_prepared_statements where statement like ${`%${fragment}%`}`.execute(one.db);
  return rows[0]?.n ?? 0;
}

describe('statements prepared per connection', () => {
  test('a short parameterised statement is prepared once and reused, whatever its values', async () => {
    for (const n of [1, 2, 3]) {
      const { rows } = await sql<{ doubled: number }>`select ${n}::int * 2 as doubled`.execute(one.db);
      expect(rows[0]?.doubled).toBe(n * 2);
    }
    expect(await preparedLike('* 2 as doubled')).toBe(1);
  });

  test('a statement without parameters runs as it is (it may hold several statements)', async () => {
    await sql`select 41 + 1 as answer; select 2 as other`.execute(one.db);
    expect(await preparedLike('41 + 1 as answer')).toBe(0);
  });

  test('a table changed under a prepared statement: the statement still answers, with the new columns', async () => {
    await sql`create table probe (a int)`.execute(one.db);
    await sql`insert into probe values (1)`.execute(one.db);
    const read = () => sql<Record<string, unknown>>`select * from probe where a = ${1}`.execute(one.db);
    expect((await read()).rows).toEqual([{ a: 1 }]);
    await sql`alter table probe add column b int`.execute(one.db);
    expect((await read()).rows).toEqual([{ a: 1, b: null }]);
  });
});
