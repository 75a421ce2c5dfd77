import { type ContactEvent, evaluateFilter, type Filter, type JsonValue } from '@waymark/sdk';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadContacts } from '../../engine/contacts/load.js';
import { toContactEvent } from '../../engine/events/record.js';
import { compileFilter } from '../../engine/segments/compile.js';
import { defaultWorkspaceId } from '../../server/teams/accounts/users.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const scalar = fc.oneof(
  fc.integer({ min: -2, max: 4 }),
  // A mixed-case address: an email clause compares case-insensitively in both evaluators.
  fc.constantFrom('x', 'y', 'xy', 'FI', '', 'A@X.io'),
  fc.boolean(),
  fc.constant(null),
);
const value: fc.Arbitrary<JsonValue> = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.record({ x: scalar }));
const DAY = 86_400_000;
const now = new Date();

const contactArb = fc.record({
  email: fc.option(fc.constantFrom('a@x.io', 'b@x.io', 'c@y.io'), { nil: null }),
  attributes: fc.dictionary(fc.constantFrom('a', 'b', 'n'), value, { maxKeys: 3 }),
  // Values of the computed attributes `k` and `m` (null while first computed, or computed null).
  computed: fc.dictionary(fc.constantFrom('k', 'm'), value, { maxKeys: 2 }),
  tags: fc.array(
    fc.record({
      tag: fc.constantFrom('vip', 'new'),
      count: fc.integer({ min: 1, max: 3 }),
      lastAgoDays: fc.integer({ min: 0, max: 9 }),
      expires: fc.constantFrom(null, -1, 1),
      removed: fc.boolean(),
    }),
    { maxLength: 2 },
  ),
  lists: fc.array(fc.record({ list: fc.constantFrom('l1', 'l2'), agoDays: fc.integer({ min: 0, max: 9 }) }), {
    maxLength: 2,
  }),
  events: fc.array(
    fc.record({ name: fc.constantFrom('buy', 'view'), agoDays: fc.integer({ min: 0, max: 9 }), p: scalar }),
    { maxLength: 4 },
  ),
});

const op = fc.constantFrom('eq', 'neq', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'contains', 'exists');
const attrName = fc.constantFrom('a', 'b', 'n.x', 'a.0', 'email');
const cmpValue = (o: string) =>
  o === 'in' || o === 'nin'
    ? fc.array(scalar, { maxLength: 3 })
    : o === 'contains'
      ? fc.constantFrom('x', 'X.IO', 1, true)
      : o === 'gt' || o === 'gte' || o === 'lt' || o === 'lte'
        ? fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constantFrom('x', 'y'))
        : value;
const attrClause = (name: fc.Arbitrary<string>) =>
  op.chain((o) => fc.record({ attr: name, op: fc.constant(o), value: cmpValue(o) })) as fc.Arbitrary<Filter>;
const computedClause = op.chain((o) =>
  fc.record({ computed: fc.constantFrom('k', 'm', 'm.x'), op: fc.constant(o), value: cmpValue(o) }),
) as fc.Arbitrary<Filter>;
const range = fc.record(
  { gte: fc.integer({ min: 0, max: 3 }), lt: fc.integer({ min: 1, max: 4 }) },
  { requiredKeys: [] },
);
const within = fc.option(fc.constantFrom('P3D', 'P7D', 'PT1H'), { nil: undefined });

const { filter } = fc.letrec<{ filter: Filter }>((tie) => ({
  filter: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'f' },
    attrClause(attrName),
    computedClause,
    fc.record(
      {
        tag: fc.constantFrom('vip', 'new'),
        op: fc.constantFrom('has', 'hasNot'),
        count: fc.option(range, { nil: undefined }),
        lastAddedWithin: within,
      },
      { requiredKeys: ['tag', 'op'] },
    ) as fc.Arbitrary<Filter>,
    fc.record(
      { list: fc.constantFrom('l1', 'l2'), op: fc.constantFrom('member', 'notMember'), addedWithin: within },
      { requiredKeys: ['list', 'op'] },
    ) as fc.Arbitrary<Filter>,
    fc.record(
      {
        event: fc.constantFrom('buy', 'view'),
        op: fc.constant('count'),
        within,
        gte: fc.integer({ min: 0, max: 3 }),
        where: attrClause(fc.constant('p')),
      },
      { requiredKeys: ['event', 'op'] },
    ) as fc.Arbitrary<Filter>,
    fc.record({ all: fc.array(tie('filter'), { maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('filter'), { maxLength: 3 }) }),
    fc.record({ not: tie('filter') }),
  ),
}));

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(() => tdb.drop());

describe('the filter language', () => {
  test('SQL and in-memory evaluation agree on random contacts and filters', async () => {
    const contacts = fc.sample(contactArb, { numRuns: 40, seed: 42 });
    const ago = (days: number) => new Date(now.getTime() - days * DAY - 3_600_000);
    await sql`insert into computed_attributes (workspace_id, name, definition)
      select id, unnest(array['k', 'm']), '{"kind": "aggregate", "fn": "count", "event": "x"}'
      from workspaces where is_default`.execute(tdb.db);
    for (const c of contacts) {
      const { rows } = await sql<{ id: string }>`insert into contacts (workspace_id, email, attributes, computed)
        values ((select id from workspaces where is_default), ${c.email}, ${JSON.stringify(c.attributes)}::jsonb,
          ${JSON.stringify(c.computed)}::jsonb) on conflict do nothing returning id`.execute(tdb.db);
      const id = rows[0]?.id;
      if (!id) continue;
      for (const t of c.tags) {
        const last = ago(t.lastAgoDays);
        const expires = t.expires === null ? null : new Date(now.getTime() + t.expires * DAY);
        await sql`insert into contact_tags (contact_id, tag, count, first_added_at, last_added_at, expires_at, removed)
          values (${id}, ${t.tag}, ${t.count}, ${last}, ${last}, ${expires}, ${t.removed}) on conflict do nothing`.execute(
          tdb.db,
        );
      }
      for (const l of c.lists)
        await sql`insert into contact_lists (contact_id, list, added_at) values (${id}, ${l.list}, ${ago(l.agoDays)}) on conflict do nothing`.execute(
          tdb.db,
        );
      for (const e of c.events)
        await sql`insert into events (contact_id, name, properties, timestamp)
          values (${id}, ${e.name}, ${JSON.stringify({ p: e.p })}::jsonb, ${ago(e.agoDays)})`.execute(tdb.db);
    }
    const ids = (await sql<{ id: string }>`select id from contacts order by id`.execute(tdb.db)).rows.map((r) => r.id);
    const loaded = await loadContacts(tdb.db, await defaultWorkspaceId(tdb.db), ids);
    const events = (await sql<Parameters<typeof toContactEvent>[0]>`select * from events`.execute(tdb.db)).rows.map(
      toContactEvent,
    );
    const eventsOf = new Map<string, ContactEvent[]>();
    for (const e of events) eventsOf.set(e.contactId, [...(eventsOf.get(e.contactId) ?? []), e]);

    let discriminating = 0;
    await fc.assert(
      fc.asyncProperty(filter, async (f) => {
        const { rows } = await sql<{
          id: string;
        }>`select c.id from contacts c where ${compileFilter(f, { now })} order by c.id`.execute(tdb.db);
        const inMemory = loaded
          .filter((c) => evaluateFilter(f, { contact: c, events: eventsOf.get(c.id) ?? [], now }))
          .map((c) => c.id);
        expect(rows.map((r) => r.id)).toEqual(inMemory);
        if (inMemory.length > 0 && inMemory.length < loaded.length) discriminating += 1;
      }),
      { numRuns: 300, seed: 7 },
    );
    // The property means something only if many filters split the contacts.
    expect(discriminating).toBeGreaterThan(50);
  });
});
