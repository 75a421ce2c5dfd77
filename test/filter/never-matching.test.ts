import type { JsonObject } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { graphWith, publishGraph } from '../api/journeys/bounds-support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

// A filter that can match no contact was accepted: a segment answered 200 with total 0 and a
// journey published, as if nobody qualified, where the filter itself said nothing.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const segment = (filter: JsonObject) =>
  t.app.inject({
    method: 'GET',
    url: `/api/contacts?segment=${encodeURIComponent(JSON.stringify(filter))}`,
    headers: t.auth,
  });

const NEVER: [string, JsonObject, string, string][] = [
  ['a blank tag name', { tag: '  ', op: 'has' }, '/tag', 'tag must not be blank'],
  ['a tag name over 255 characters', { tag: 'x'.repeat(300), op: 'has' }, '/tag', 'tag must be at most 255 characters'],
  ['a blank list name', { list: '  ', op: 'member' }, '/list', 'list must not be blank'],
  [
    'event bounds that exclude each other',
    { event: 'buy', op: 'count', gt: 5, lt: 3 },
    '/lt',
    '{"gt":5,"lt":3} matches no count of events',
  ],
  ['fewer than no events', { event: 'buy', op: 'count', lt: 0 }, '/lt', '{"lt":0} matches no count of events'],
  [
    'a held tag added no times',
    { tag: 'vip', op: 'has', count: { eq: 0 } },
    '/count/eq',
    'count {"eq":0} matches no tag a contact has (its count is at least 1)',
  ],
  [
    'a held tag added fewer than once',
    { tag: 'vip', op: 'has', count: { lt: 1 } },
    '/count/lt',
    'count {"lt":1} matches no tag a contact has (its count is at least 1)',
  ],
  [
    'an event window of no length',
    { event: 'buy', op: 'count', within: 'PT0S' },
    '/within',
    'within must be longer than zero (got "PT0S")',
  ],
  [
    'a tag window of no length',
    { tag: 'vip', op: 'has', lastAddedWithin: 'PT0S' },
    '/lastAddedWithin',
    'lastAddedWithin must be longer than zero (got "PT0S")',
  ],
  [
    'a list window of no length',
    { list: 'news', op: 'member', addedWithin: 'PT0S' },
    '/addedWithin',
    'addedWithin must be longer than zero (got "PT0S")',
  ],
  ['a value beside exists', { attr: 'age', op: 'exists', value: 5 }, '/value', 'op "exists" takes no value'],
];

describe('a filter that can match nothing', () => {
  test.each(NEVER)('is refused as a segment, at the faulty key: %s', async (_name, filter, path, message) => {
    const res = await segment({ all: [{ attr: 'country', op: 'exists' }, filter] });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: `/all/1${path}`, message }]);
  });

  test.each(NEVER)('keeps a journey from publishing, at the faulty key: %s', async (_name, filter, path, message) => {
    const res = await publishGraph(t, graphWith('core.condition', { filter }, ['yes', 'no']));
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('invalid_graph');
    expect(res.json().error.details).toEqual([{ nodeId: 'n', path: `/filter${path}`, message }]);
  });

  test('is reported by validate, as publish would refuse it', async () => {
    const graph = graphWith('core.condition', { filter: { tag: '  ', op: 'has' } }, ['yes', 'no']);
    const post = (url: string, payload?: object) => t.app.inject({ method: 'POST', url, headers: t.auth, payload });
    const { id } = (await post('/api/journeys', { name: 'V', graph })).json();
    const res = await post(`/api/journeys/${id}/validate`);
    expect(res.json()).toEqual({
      valid: false,
      errors: [{ nodeId: 'n', path: '/filter/tag', message: 'tag must not be blank' }],
    });
  });
});

describe('a filter that can match someone', () => {
  test.each([
    ['no events at all', { event: 'buy', op: 'count', eq: 0 }],
    ['fewer than one event', { event: 'buy', op: 'count', lt: 1 }],
    ['a tag held exactly once', { tag: 'vip', op: 'has', count: { eq: 1 } }],
    ['a tag not held twice or more', { tag: 'vip', op: 'hasNot', count: { gte: 2 } }],
    ['a count between two bounds', { event: 'buy', op: 'count', gt: 2, lt: 4 }],
    ['a tag name of 255 characters', { tag: 'x'.repeat(255), op: 'has' }],
    ['a window of one second', { event: 'buy', op: 'count', within: 'PT1S' }],
  ] as [string, JsonObject][])('is answered: %s', async (_name, filter) => {
    expect((await segment(filter)).statusCode).toBe(200);
  });
});
