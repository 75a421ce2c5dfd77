import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { newId } from '../../../engine/db/ids.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';

let t: TestRuntime;

beforeAll(async () => {
  t = await createTestRuntime();
});
afterAll(async () => {
  await t?.close();
});

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const pause = () => new Promise((r) => setTimeout(r, 3));

describe('row ids', () => {
  test('are UUID version 7, unique, and later ones sort after earlier ones', async () => {
    const first = Array.from({ length: 10_000 }, newId);
    await pause();
    const later = newId();
    expect(new Set(first).size).toBe(10_000);
    for (const id of [...first, later]) expect(id).toMatch(V7);
    expect(first.every((id) => id < later)).toBe(true);
  });

  test('made by the database have the same form and the same clock', async () => {
    const before = newId();
    await pause();
    const { rows } = await sql<{ id: string }>`select waymark_uuid7()::text as id from generate_series(1, 100)`.execute(
      t.runtime.db,
    );
    await pause();
    const after = newId();
    expect(new Set(rows.map((r) => r.id)).size).toBe(100);
    for (const { id } of rows) {
      expect(id).toMatch(V7);
      expect(before < id && id < after).toBe(true);
    }
  });

  test('of new contacts, runs and steps come from the database default', async () => {
    const { rows } = await sql<{ table: string; dflt: string }>`
      select c.relname as table, pg_get_expr(d.adbin, d.adrelid) as dflt
      from pg_attrdef d join pg_class c on c.oid = d.adrelid join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
      where a.attname = 'id' and c.relname in ('runs', 'steps', 'waits', 'contacts', 'events', 'messages')
      order by 1`.execute(t.runtime.db);
    expect(rows).toEqual(
      ['contacts', 'events', 'messages', 'runs', 'steps', 'waits'].map((table) => ({ table, dflt: 'waymark_uuid7()' })),
    );
  });
});
