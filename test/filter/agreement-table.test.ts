import type { Filter } from '@waymark/sdk';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadContact } from '../../engine/contacts/load.js';
import { createContactsService } from '../../engine/contacts/service.js';
import { defaultWorkspaceId } from '../../server/teams/accounts/users.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { segmentField } from './support.js';

// NODES.md "The filter language": one language, evaluated in SQL (a segment over all contacts)
// and in memory (a condition for one contact), and both must agree. Each row runs one filter
// both ways against the same stored contacts and names the contacts the contract says match.

const DAY = 86_400_000;
const now = new Date();
const ago = (days: number) => new Date(now.getTime() - days * DAY);

let t: TestApp;
let workspaceId: string;
const ids = new Map<string, string>();

const CONTACTS: Record<string, object> = {
  ann: {
    email: 'ann@x.io',
    phone: '+358401234567',
    externalId: 'EXT-1',
    timezone: 'Europe/Helsinki',
    attributes: {
      country: 'FI',
      age: 30,
      score: 2.5,
      vip: true,
      plan: 'Pro Plus',
      interests: ['a', 'b'],
      address: { city: 'Helsinki', zip: '00100' },
      signup: '2024-03-01T10:00:00Z',
      birthday: '1990-05-17',
      orders: [1, 2],
    },
  },
  bob: {
    email: 'bob@x.io',
    attributes: {
      country: 'fi',
      age: 17,
      vip: false,
      plan: 'pro',
      interests: ['b'],
      address: { city: 'Turku' },
      signup: '2023-12-31T23:59:59Z',
    },
  },
  cyd: { email: 'cyd@y.io' },
  dee: {
    email: 'dee@y.io',
    attributes: { country: null, age: '30', vip: 'true', interests: 'a,b', address: 'Helsinki', nothing: 0 },
  },
};
const EVERYONE = Object.keys(CONTACTS);

async function store(): Promise<void> {
  for (const [name, body] of Object.entries(CONTACTS)) {
    const res = await t.app.inject({ method: 'POST', url: '/api/contacts', headers: t.auth, payload: body });
    expect(res.statusCode, res.body).toBe(201);
    ids.set(name, res.json().id);
  }
  // The API drops a key written null (attributes merge): a null stored otherwise still compares.
  await sql`update contacts set attributes = attributes || '{"nothing": null}' where id = ${ids.get('ann')}`.execute(
    t.runtime.db,
  );
  const tag = (who: string, tag: string, count: number, lastDays: number, expires: Date | null, removed = false) =>
    sql`insert into contact_tags (contact_id, tag, count, first_added_at, last_added_at, expires_at, removed)
      values (${ids.get(who)}, ${tag}, ${count}, ${ago(lastDays + 30)}, ${ago(lastDays)}, ${expires}, ${removed})`.execute(
      t.runtime.db,
    );
  await tag('ann', 'vip', 3, 1, null);
  await tag('ann', 'lapsed', 2, 20, ago(1));
  await tag('bob', 'vip', 1, 10, null, true);
  await tag('bob', 'lapsed', 1, 10, new Date(now.getTime() + DAY));
  const list = (who: string, list: string, days: number) =>
    sql`insert into contact_lists (contact_id, list, added_at) values (${ids.get(who)}, ${list}, ${ago(days)})`.execute(
      t.runtime.db,
    );
  await list('ann', 'newsletter', 2);
  await list('bob', 'newsletter', 30);
  const event = (who: string, name: string, days: number, properties: object) =>
    sql`insert into events (contact_id, name, properties, timestamp)
      values (${ids.get(who)}, ${name}, ${JSON.stringify(properties)}::jsonb, ${ago(days)})`.execute(t.runtime.db);
  await event('ann', 'purchase', 1, { total: 120, sku: 'A' });
  await event('ann', 'purchase', 100, { total: 20, sku: 'b' });
  await event('bob', 'purchase', 5, { total: 50, sku: 'a', email: 'Bob@X.io' });
  await event('bob', 'view', 5, {});
}

beforeAll(async () => {
  t = await createTestApp();
  workspaceId = await defaultWorkspaceId(t.runtime.db);
  await store();
});
afterAll(() => t?.close());

const nameOf = (email: string) => email.split('@')[0] as string;

/** Who matches in a segment: `GET /api/contacts?segment=`, compiled to SQL. */
async function inSegment(filter: Filter): Promise<string[]> {
  return (await segmentField(t, filter, 'email')).map(nameOf).sort();
}

/** Who matches in a condition: `ctx.contacts.matches` of a step holding its loaded contact. */
async function inCondition(filter: Filter): Promise<string[]> {
  const matched: string[] = [];
  for (const [name, id] of ids) {
    const contact = await loadContact(t.runtime.db, workspaceId, id);
    const contacts = createContactsService({
      runtime: t.runtime,
      db: t.runtime.db,
      runId: '00000000-0000-4000-8000-000000000000',
      workspaceId,
      journeyId: '00000000-0000-4000-8000-000000000000',
      version: 1,
      nodeId: 'cond',
      contactId: id,
      contact,
      source: 'journey',
      idempotencyKey: `agreement:${name}`,
      now: () => now,
    });
    if (await contacts.matches(id, filter, { trigger: {}, steps: {} })) matched.push(name);
  }
  return matched.sort();
}

const not = (names: string[]) => EVERYONE.filter((n) => !names.includes(n));

const ROWS: [string, Filter, string[]][] = [
  // Comparisons of attributes: typed, case-sensitive, a missing attribute compares as absent.
  ['eq a string', { attr: 'country', op: 'eq', value: 'FI' }, ['ann']],
  ['neq matches a different, a missing and a null value', { attr: 'country', op: 'neq', value: 'FI' }, not(['ann'])],
  ['in a list of values', { attr: 'country', op: 'in', value: ['FI', 'SE'] }, ['ann']],
  ['nin a list of values', { attr: 'country', op: 'nin', value: ['FI', 'SE'] }, not(['ann'])],
  ['in an empty list', { attr: 'country', op: 'in', value: [] }, []],
  ['nin an empty list', { attr: 'country', op: 'nin', value: [] }, EVERYONE],
  ['eq a number is not a numeric string', { attr: 'age', op: 'eq', value: 30 }, ['ann']],
  ['eq a numeric string is not a number', { attr: 'age', op: 'eq', value: '30' }, ['dee']],
  ['in mixes types', { attr: 'age', op: 'in', value: [30, '30'] }, ['ann', 'dee']],
  ['gt a number', { attr: 'age', op: 'gt', value: 18 }, ['ann']],
  ['gte a number', { attr: 'age', op: 'gte', value: 17 }, ['ann', 'bob']],
  ['lt a number', { attr: 'age', op: 'lt', value: 18 }, ['bob']],
  ['lte a number', { attr: 'age', op: 'lte', value: 30 }, ['ann', 'bob']],
  ['gt a decimal', { attr: 'score', op: 'gt', value: 2.4 }, ['ann']],
  ['eq a decimal', { attr: 'score', op: 'eq', value: 2.5 }, ['ann']],
  ['gt a string compares text', { attr: 'age', op: 'gt', value: '18' }, ['dee']],
  ['eq true', { attr: 'vip', op: 'eq', value: true }, ['ann']],
  ['eq false', { attr: 'vip', op: 'eq', value: false }, ['bob']],
  ['eq "true" is not true', { attr: 'vip', op: 'eq', value: 'true' }, ['dee']],
  ['eq null matches a stored null only', { attr: 'nothing', op: 'eq', value: null }, ['ann']],
  ['neq null', { attr: 'nothing', op: 'neq', value: null }, not(['ann'])],
  ['exists is false for null and missing', { attr: 'country', op: 'exists' }, ['ann', 'bob']],
  ['exists is true for 0', { attr: 'nothing', op: 'exists' }, ['dee']],
  ['not exists', { not: { attr: 'country', op: 'exists' } }, ['cyd', 'dee']],
  ['contains in a text is case-sensitive', { attr: 'plan', op: 'contains', value: 'Pro' }, ['ann']],
  ['contains in a text, lower case', { attr: 'plan', op: 'contains', value: 'pro' }, ['bob']],
  ['contains an element of a list or a substring', { attr: 'interests', op: 'contains', value: 'a' }, ['ann', 'dee']],
  ['contains a number in a list', { attr: 'orders', op: 'contains', value: 2 }, ['ann']],
  ['contains a number in no list', { attr: 'age', op: 'contains', value: 3 }, []],
  ['gt on a list is false, on a text compares text', { attr: 'interests', op: 'gt', value: 'a' }, ['dee']],
  ['gt on a missing attribute is false', { attr: 'missing', op: 'gt', value: 0 }, []],
  ['lt on a missing attribute is false', { attr: 'missing', op: 'lt', value: 'z' }, []],
  ['neq on a missing attribute is true', { attr: 'missing', op: 'neq', value: 1 }, EVERYONE],
  // Dotted paths reach into nested attributes (and lists by index); a path through a text finds nothing.
  ['a dotted path', { attr: 'address.city', op: 'eq', value: 'Helsinki' }, ['ann']],
  ['a dotted path exists', { attr: 'address.zip', op: 'exists' }, ['ann']],
  ['a path through a text is missing', { attr: 'address.city', op: 'neq', value: 'Helsinki' }, not(['ann'])],
  ['a list index', { attr: 'orders.0', op: 'eq', value: 1 }, ['ann']],
  ['a whole object', { attr: 'address', op: 'eq', value: { city: 'Turku' } }, ['bob']],
  ['a whole list', { attr: 'interests', op: 'eq', value: ['a', 'b'] }, ['ann']],
  // Dates are ISO 8601 texts: they compare in time order.
  ['a date after', { attr: 'signup', op: 'gte', value: '2024-01-01' }, ['ann']],
  ['a date before', { attr: 'signup', op: 'lt', value: '2024-01-01T00:00:00Z' }, ['bob']],
  ['a birthday before', { attr: 'birthday', op: 'lt', value: '2000-01-01' }, ['ann']],
  // Contact fields: email compares case-insensitively, phone as E.164, the others as given.
  ['email eq whatever the case', { attr: 'email', op: 'eq', value: 'ANN@x.io' }, ['ann']],
  ['email contains whatever the case', { attr: 'email', op: 'contains', value: '@Y.IO' }, ['cyd', 'dee']],
  ['email in whatever the case', { attr: 'email', op: 'in', value: ['Bob@X.io'] }, ['bob']],
  ['phone written with spaces', { attr: 'phone', op: 'eq', value: '+358 40 123 4567' }, ['ann']],
  ['phone exists', { attr: 'phone', op: 'exists' }, ['ann']],
  ['phone missing neq', { attr: 'phone', op: 'neq', value: '+358401234567' }, not(['ann'])],
  ['externalId is case-sensitive', { attr: 'externalId', op: 'eq', value: 'ext-1' }, []],
  ['externalId eq', { attr: 'externalId', op: 'eq', value: 'EXT-1' }, ['ann']],
  ['timezone eq', { attr: 'timezone', op: 'eq', value: 'Europe/Helsinki' }, ['ann']],
  ['timezone exists', { attr: 'timezone', op: 'exists' }, ['ann']],
  // Tags: has means active; count counts every addition; hasNot covers never, expired and removed.
  ['has an active tag', { tag: 'vip', op: 'has' }, ['ann']],
  ['hasNot a removed tag', { tag: 'vip', op: 'hasNot' }, not(['ann'])],
  ['has a tag not yet expired', { tag: 'lapsed', op: 'has' }, ['bob']],
  ['hasNot an expired tag', { tag: 'lapsed', op: 'hasNot' }, not(['bob'])],
  ['has with a count', { tag: 'vip', op: 'has', count: { gte: 2 } }, ['ann']],
  ['has with a count too high', { tag: 'vip', op: 'has', count: { gte: 4 } }, []],
  ['has lastAddedWithin', { tag: 'vip', op: 'has', lastAddedWithin: 'P7D' }, ['ann']],
  ['has lastAddedWithin, added before', { tag: 'lapsed', op: 'has', lastAddedWithin: 'P7D' }, []],
  ['a tag nobody has', { tag: 'none', op: 'hasNot' }, EVERYONE],
  ['tags are case-sensitive', { tag: 'VIP', op: 'has' }, []],
  // Lists: static membership with an added date.
  ['member', { list: 'newsletter', op: 'member' }, ['ann', 'bob']],
  ['member addedWithin', { list: 'newsletter', op: 'member', addedWithin: 'P7D' }, ['ann']],
  ['notMember', { list: 'newsletter', op: 'notMember' }, ['cyd', 'dee']],
  ['notMember addedWithin', { list: 'newsletter', op: 'notMember', addedWithin: 'P7D' }, not(['ann'])],
  // Events: counted, within a window, where its properties match.
  ['an event at least once', { event: 'purchase', op: 'count' }, ['ann', 'bob']],
  ['an event at least twice', { event: 'purchase', op: 'count', gte: 2 }, ['ann']],
  ['an event within a window', { event: 'purchase', op: 'count', gte: 2, within: 'P90D' }, []],
  ['an event within a week', { event: 'purchase', op: 'count', within: 'P7D' }, ['ann', 'bob']],
  ['an event never', { event: 'purchase', op: 'count', lt: 1 }, ['cyd', 'dee']],
  ['an event exactly once', { event: 'purchase', op: 'count', eq: 1 }, ['bob']],
  [
    'an event where a property compares',
    { event: 'purchase', op: 'count', where: { attr: 'total', op: 'gt', value: 100 } },
    ['ann'],
  ],
  [
    'an event where a property compares as given',
    { event: 'purchase', op: 'count', where: { attr: 'sku', op: 'eq', value: 'a' } },
    ['bob'],
  ],
  [
    "an event's email property compares as given",
    { event: 'purchase', op: 'count', where: { attr: 'email', op: 'eq', value: 'bob@x.io' } },
    [],
  ],
  [
    "an event's where with a tag clause reads the contact's tags",
    { event: 'purchase', op: 'count', where: { tag: 'vip', op: 'has' } },
    ['ann'],
  ],
  [
    "an event's where with a list clause reads the contact's lists",
    { event: 'purchase', op: 'count', where: { list: 'newsletter', op: 'notMember' } },
    [],
  ],
  // Combinations.
  [
    'all',
    {
      all: [
        { attr: 'country', op: 'exists' },
        { tag: 'vip', op: 'hasNot' },
      ],
    },
    ['bob'],
  ],
  [
    'any',
    {
      any: [
        { attr: 'age', op: 'gt', value: 18 },
        { list: 'newsletter', op: 'member' },
      ],
    },
    ['ann', 'bob'],
  ],
  ['an empty all', { all: [] }, EVERYONE],
  ['an empty any', { any: [] }, []],
  ['not', { not: { attr: 'age', op: 'gt', value: 18 } }, not(['ann'])],
];

describe('the same filter in a segment and in a condition', () => {
  test.each(ROWS)('%s', async (_, filter, expected) => {
    const segment = await inSegment(filter);
    expect(segment, 'segment').toEqual([...expected].sort());
    expect(await inCondition(filter), 'condition').toEqual(segment);
  });
});
