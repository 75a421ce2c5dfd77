import { type ContactEvent, evaluateFilter, type Filter, type JsonObject } from '@waymark/sdk';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadContacts } from '../../engine/contacts/load.js';
import { toContactEvent } from '../../engine/events/record.js';
import { compileEventFilter, compileFilter } from '../../engine/segments/compile.js';
import { defaultWorkspaceId } from '../../server/teams/accounts/users.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// nodes/README.md "Date comparisons in filters": `before` and `after` compare a stored ISO 8601
// instant with a date, a date-time or a duration from now. A segment runs the filter as SQL, a
// condition in memory; each row runs both at the same `now` and names who the rule says matches.

const now = new Date('2026-03-30T00:00:00Z');

/** Each contact's `at` attribute (and the `at` property of its one `visit` event); absent for `missing`. */
const AT: Record<string, unknown> = {
  utc: '2026-03-01T10:00:00Z',
  offset: '2026-03-01T11:30:00+02:00', // 09:30 UTC
  dateOnly: '2026-03-01', // 00:00 UTC
  sub: '2026-03-01T09:30:00.000999Z', // 09:30 UTC to the millisecond
  leapDay: '2024-02-29',
  future: '2026-04-01T00:00:00Z',
  noZone: '2026-03-01T10:00:00',
  noDay: '2026-02-30',
  text: 'last week',
  number: 1772359200000,
};
const EVERYONE = [...Object.keys(AT), 'missing'];
const not = (names: string[]) => EVERYONE.filter((n) => !names.includes(n));

let tdb: TestDatabase;
const nameOf = new Map<string, string>();
let contacts: Awaited<ReturnType<typeof loadContacts>>;
const eventsOf = new Map<string, ContactEvent[]>();

beforeAll(async () => {
  tdb = await createTestDatabase();
  for (const name of EVERYONE) {
    const attributes: JsonObject = name in AT ? ({ at: AT[name] } as JsonObject) : {};
    const { rows } = await sql<{ id: string }>`insert into contacts (workspace_id, email, attributes, computed)
      values ((select id from workspaces where is_default), ${`${name.toLowerCase()}@x.io`},
        ${JSON.stringify(attributes)}::jsonb, ${JSON.stringify(attributes)}::jsonb) returning id`.execute(tdb.db);
    const id = rows[0]?.id as string;
    nameOf.set(id, name);
    await sql`insert into events (contact_id, name, properties, timestamp)
      values (${id}, 'visit', ${JSON.stringify(attributes)}::jsonb, ${now})`.execute(tdb.db);
  }
  await sql`insert into computed_attributes (workspace_id, name, definition)
    select id, 'at', '{"kind": "aggregate", "fn": "count", "event": "x"}' from workspaces where is_default`.execute(
    tdb.db,
  );
  contacts = await loadContacts(tdb.db, await defaultWorkspaceId(tdb.db), [...nameOf.keys()]);
  const events = (await sql<Parameters<typeof toContactEvent>[0]>`select * from events`.execute(tdb.db)).rows;
  for (const e of events.map(toContactEvent)) eventsOf.set(e.contactId, [e]);
});
afterAll(() => tdb?.drop());

async function inSql(filter: Filter): Promise<string[]> {
  const { rows } = await sql<{
    id: string;
  }>`select c.id from contacts c where ${compileFilter(filter, { now })}`.execute(tdb.db);
  return rows.map((r) => nameOf.get(r.id) as string).sort();
}

function inMemory(filter: Filter): string[] {
  return contacts
    .filter((c) => evaluateFilter(filter, { contact: c, events: eventsOf.get(c.id) ?? [], now }))
    .map((c) => nameOf.get(c.id) as string)
    .sort();
}

const at = (op: 'before' | 'after', value: string): Filter => ({ attr: 'at', op, value });

const ROWS: [string, Filter, string[]][] = [
  ['after a date: later that day, whatever the offset', at('after', '2026-03-01'), ['future', 'offset', 'sub', 'utc']],
  [
    'a date alone is its 00:00 UTC, not after itself',
    at('after', '2026-02-28T23:59:59Z'),
    not(['leapDay', 'missing', 'noDay', 'noZone', 'number', 'text']),
  ],
  ['before a date-time with an offset', at('before', '2026-03-01T10:00:00+01:00'), ['dateOnly', 'leapDay']],
  ['an offset names the same instant as UTC', at('after', '2026-03-01T09:29:59Z'), ['future', 'offset', 'sub', 'utc']],
  ['digits past the millisecond are dropped', at('after', '2026-03-01T09:30:00Z'), ['future', 'utc']],
  ['a leap day', at('before', '2024-03-01'), ['leapDay']],
  [
    'a leap day is after the day before it',
    at('after', '2024-02-28T23:59:59.999Z'),
    not(['missing', 'noDay', 'noZone', 'number', 'text']),
  ],
  ['in the last 30 days (or later)', at('after', '-P30D'), ['dateOnly', 'future', 'offset', 'sub', 'utc']],
  ['in the last 29 days: exactly then is not after it', at('after', '-P29D'), ['future', 'offset', 'sub', 'utc']],
  ['more than a calendar year ago', at('before', '-P1Y'), ['leapDay']],
  ['within the next 3 days', { all: [at('after', 'PT0S'), at('before', 'P3D')] }, ['future']],
  [
    'not after: whatever is no instant too',
    { not: at('after', '2026-03-01') },
    not(['future', 'offset', 'sub', 'utc']),
  ],
  [
    'a number, other text, a day February lacks, a time without zone never match',
    { any: [at('before', 'P1000Y'), at('after', '-P1000Y')] },
    not(['missing', 'noDay', 'noZone', 'number', 'text']),
  ],
  [
    'an event property',
    { event: 'visit', op: 'count', where: at('after', '-P30D') },
    ['dateOnly', 'future', 'offset', 'sub', 'utc'],
  ],
  [
    'a computed attribute',
    { computed: 'at', op: 'before', value: '2026-03-01T09:30:00.001Z' },
    ['dateOnly', 'leapDay', 'offset', 'sub'],
  ],
];

describe('before and after in a segment (SQL) and a condition (in memory)', () => {
  test.each(ROWS)('%s', async (_, filter, expected) => {
    const segment = await inSql(filter);
    expect(segment, 'SQL').toEqual([...expected].sort());
    expect(inMemory(filter), 'in memory').toEqual(segment);
  });

  test("a value that is no instant is false in SQL, never the statement's error", async () => {
    // Unvalidated (a filter stored before the check): the clause matches nobody in either.
    const bad = { attr: 'at', op: 'after', value: 'yesterday' } as Filter;
    expect(await inSql(bad)).toEqual([]);
    expect(inMemory(bad)).toEqual([]);
  });
});

describe('before and after on trigger and step values', () => {
  test("a condition compares the trigger's date", () => {
    const filter: Filter = { trigger: 'order.shippedAt', op: 'before', value: '-P7D' };
    const data = (shippedAt: string) => ({ contact: null, trigger: { order: { shippedAt } }, now });
    expect(evaluateFilter(filter, data('2026-03-01T00:00:00Z'))).toBe(true);
    expect(evaluateFilter(filter, data('2026-03-29T00:00:00Z'))).toBe(false);
  });

  test("a condition compares an earlier step's date", () => {
    const filter: Filter = { step: 'n1', path: 'endsAt', op: 'after', value: '2026-03-30' };
    const data = (endsAt: string) => ({ contact: null, steps: { n1: { output: { endsAt } } }, now });
    expect(evaluateFilter(filter, data('2026-03-30T08:00:00+02:00'))).toBe(true);
    expect(evaluateFilter(filter, data('2026-03-30T01:00:00+02:00'))).toBe(false);
  });
});

// Texts near the rule's edges: days a month lacks, year 0000, hour 24, second 60, offsets past
// ±14:59, lower-case t and z, a time without zone, fractions of any length.
const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
const nearInstant = fc
  .tuple(
    fc.constantFrom('0000', '0001', '1900', '2000', '2023', '2024', '2100', '9999'),
    two(13),
    two(32),
    fc.option(fc.tuple(fc.constantFrom('T', 't', ' '), two(24), two(60), fc.option(two(60)), fc.nat(10)), {
      nil: null,
    }),
    fc.constantFrom('Z', 'z', '', '+00:00', '-00:00', '+14:59', '-15:00', '+05:30', '+0530'),
  )
  .map(([y, m, d, time, zone]) => {
    if (!time) return `${y}-${m}-${d}`;
    const [t, h, min, s, digits] = time;
    const fraction = digits ? `.${'9'.repeat(digits)}` : '';
    return `${y}-${m}-${d}${t}${h}:${min}${s === null ? '' : `:${s}${fraction}`}${zone}`;
  });

describe('before and after on any text', () => {
  test('SQL and memory agree, and SQL never fails', async () => {
    // The text itself as the bound too: an instant is neither before nor after itself in either.
    const bounds = ['itself', '2024-02-29', '2000-01-01T00:00:00+14:00', '-P30D', 'P1000Y', '-P1000Y'];
    await fc.assert(
      fc.asyncProperty(
        nearInstant,
        fc.constantFrom(...bounds),
        fc.constantFrom('before', 'after'),
        async (s, b, op) => {
          const clause = { attr: 'at', op, value: b === 'itself' ? s : b } as Filter;
          const properties = sql`${JSON.stringify({ at: s })}::jsonb`;
          const { rows } = await sql<{
            m: boolean;
          }>`select ${compileEventFilter(clause, now, properties)} as m`.execute(tdb.db);
          expect(rows[0]?.m, s).toBe(evaluateFilter(clause, { contact: null, properties: { at: s }, now }));
        },
      ),
      { numRuns: 400, seed: 11 },
    );
  });
});
