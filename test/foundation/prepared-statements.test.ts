import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
  await sql`create table planned (id int primary key, a text)`.execute(tdb.db);
  await sql`insert into planned values (1, 'one'), (2, 'two')`.execute(tdb.db);
});
afterAll(() => tdb.drop());

// Long enough to be prepared; the padding stands in for the engine's long CTEs.
const padding = sql.raw(`/* ${'x'.repeat(400)} */`);
const readRow = (id: number) =>
  sql<Record<string, unknown>>`select * from planned where id = ${id} ${padding}`.execute(tdb.db);

describe('long statements run as prepared statements', () => {
  test('answer the same, call after call, with different parameters', async () => {
    for (let i = 0; i < 8; i++) {
      expect((await readRow(1)).rows).toEqual([{ id: 1, a: 'one' }]);
      expect((await readRow(2)).rows).toEqual([{ id: 2, a: 'two' }]);
    }
  });

  test('keep answering after a migration changes the table under a cached plan', async () => {
    const pooled = await Promise.all(Array.from({ length: 10 }, () => readRow(1)));
    expect(pooled.every((r) => r.rows[0]?.a === 'one')).toBe(true);
    await sql`alter table planned add column b text default 'bee'`.execute(tdb.db);
    for (let i = 0; i < 12; i++) expect((await readRow(1)).rows).toEqual([{ id: 1, a: 'one', b: 'bee' }]);
  });

  test('a statement without parameters (several commands in one text) is sent as it is', async () => {
    await sql`create table multi (id int); insert into multi values (7); ${padding}`.execute(tdb.db);
    expect((await sql<{ id: number }>`select id from multi`.execute(tdb.db)).rows).toEqual([{ id: 7 }]);
  });
});
