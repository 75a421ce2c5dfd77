import { type JsonObject, validateFilter } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { graphWith, publishGraph } from '../api/journeys/bounds-support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { segmentField } from './support.js';

// nodes/README.md "Date comparisons in filters": the value of `before`/`after` is an ISO 8601
// date, a date-time with Z or an offset, or a duration from now (`-P30D` ago, `P3D` ahead);
// anything else is refused where filters are checked, at the clause's `/value`.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const SHAPE =
  'an ISO 8601 date (2026-01-01), a date-time with Z or an offset (2026-01-01T09:00:00+02:00) ' +
  'or a duration from now (-P30D: 30 days ago, P3D: 3 days from now)';

const ACCEPTED: [string, string][] = [
  ['a date', '2000-01-01'],
  ['a leap day', '2028-02-29'],
  ['a date-time in UTC', '2026-01-01T09:00:00Z'],
  ['a date-time with an offset and milliseconds', '2026-01-01T09:00:00.250+05:30'],
  ['a date-time without seconds', '2026-01-01T09:00-08:00'],
  ['30 days ago', '-P30D'],
  ['3 days from now', 'P3D'],
  ['now', 'PT0S'],
  ['a calendar month ago', '-P1M'],
];

const REFUSED: [string, unknown, string][] = [
  ['a word', 'yesterday', `op "after" needs ${SHAPE}; got "yesterday"`],
  ['a day February lacks', '2026-02-30', `op "after" needs ${SHAPE}; got "2026-02-30"`],
  ['a date-time without a zone', '2026-01-01T09:00:00', `op "after" needs ${SHAPE}; got "2026-01-01T09:00:00"`],
  ['a time past 23:59', '2026-01-01T24:00:00Z', `op "after" needs ${SHAPE}; got "2026-01-01T24:00:00Z"`],
  ['a duration signed twice', '--P1D', `op "after" needs ${SHAPE}; got "--P1D"`],
  ['a duration of no amount', 'PT', `op "after" needs ${SHAPE}; got "PT"`],
  ['a number', 1767225600000, `op "after" needs ${SHAPE}`],
  [
    'a duration past 1000 years',
    '-P99999Y',
    'op "after" needs a duration from now of at most 1000 years (P365250D); got "-P99999Y"',
  ],
];

describe('validateFilter: the value of before and after', () => {
  test.each(ACCEPTED)('takes %s', (_name, value) => {
    expect(validateFilter({ attr: 'signedUpAt', op: 'after', value }, 'segment')).toEqual([]);
    expect(validateFilter({ attr: 'signedUpAt', op: 'before', value }, 'segment')).toEqual([]);
  });

  test.each(REFUSED)('refuses %s at /value', (_name, value, message) => {
    expect(validateFilter({ all: [{ attr: 'signedUpAt', op: 'after', value }] }, 'segment')).toEqual([
      { path: '/all/0/value', message },
    ]);
  });

  test('refuses a missing value', () => {
    expect(validateFilter({ attr: 'signedUpAt', op: 'before' }, 'segment')).toEqual([
      { path: '/value', message: 'op "before" needs a value' },
    ]);
  });

  test('takes before and after on trigger, step and computed values and event properties', () => {
    const filter = {
      all: [
        { trigger: 'order.shippedAt', op: 'before', value: '-P7D' },
        { step: 'n1', path: 'endsAt', op: 'after', value: 'PT0S' },
        { computed: 'lastOrderAt', op: 'before', value: '-P90D' },
        { event: 'purchase', op: 'count', where: { attr: 'at', op: 'after', value: '2026-01-01' } },
      ],
    };
    expect(validateFilter(filter, 'condition')).toEqual([]);
  });
});

describe('over the API', () => {
  test('a segment of contacts signed up in the last 30 days', async () => {
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    const contacts: [string, unknown][] = [
      ['new@d.io', daysAgo(2)],
      ['old@d.io', daysAgo(45)],
      ['typed@d.io', 'recently'],
      ['dateonly@d.io', daysAgo(3).slice(0, 10)],
    ];
    for (const [email, signedUpAt] of contacts) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/contacts',
        headers: t.auth,
        payload: { email, attributes: { signedUpAt } },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const recent = await segmentField(t, { attr: 'signedUpAt', op: 'after', value: '-P30D' }, 'email');
    expect(recent.sort()).toEqual(['dateonly@d.io', 'new@d.io']);
    const lapsed = await segmentField(t, { attr: 'signedUpAt', op: 'before', value: '-P30D' }, 'email');
    expect(lapsed).toEqual(['old@d.io']);
  });

  test('a segment with a bad value answers 400 at the clause', async () => {
    const filter = {
      all: [
        { attr: 'country', op: 'exists' },
        { attr: 'signedUpAt', op: 'after', value: '30 days' },
      ],
    };
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/contacts?segment=${encodeURIComponent(JSON.stringify(filter))}`,
      headers: t.auth,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/all/1/value', message: `op "after" needs ${SHAPE}; got "30 days"` },
    ]);
  });

  test.each([
    ['core.condition', ['yes', 'no'], { filter: { attr: 'trialEndsAt', op: 'before', value: 'in 3 days' } }],
    [
      'core.wait-for-event',
      ['event', 'timeout'],
      { event: 'paid', timeout: 'P1D', filter: { attr: 'paidAt', op: 'before', value: 'in 3 days' } },
    ],
  ] as [string, string[], JsonObject][])('a %s with a bad value does not publish', async (type, outputs, params) => {
    const res = await publishGraph(t, graphWith(type, params, outputs));
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([
      { nodeId: 'n', path: '/filter/value', message: `op "before" needs ${SHAPE}; got "in 3 days"` },
    ]);
  });
});
