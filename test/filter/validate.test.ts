import { validateFilter } from '@waymark/sdk';
import { describe, expect, test } from 'vitest';

describe('validateFilter', () => {
  test('accepts every clause kind of the language in a condition', () => {
    const filter = {
      all: [
        { attr: 'country', op: 'eq', value: 'FI' },
        {
          any: [
            { tag: 'vip', op: 'has', count: { gte: 2 }, lastAddedWithin: 'P7D' },
            { list: 'news', op: 'member', addedWithin: 'P30D' },
          ],
        },
        {
          not: {
            event: 'purchase',
            op: 'count',
            gte: 1,
            within: 'P90D',
            where: { attr: 'total', op: 'gt', value: 100 },
          },
        },
        { trigger: 'order.total', op: 'gt', value: 100 },
        { step: 'n4', path: 'status', op: 'eq', value: 200 },
      ],
    };
    expect(validateFilter(filter, 'condition')).toEqual([]);
  });

  test('names the JSON pointer of each bad key', () => {
    const errors = validateFilter(
      {
        all: [
          { attr: 'a', op: 'eq', value: 1 },
          { attr: 'b', op: 'eqq', value: 1 },
          { not: { tag: 'x', op: 'sometimes' } },
        ],
      },
      'segment',
      '',
    );
    expect(errors.map((e) => e.path)).toEqual(['/all/1/op', '/all/2/not/op']);
  });

  test('prefixes pointers with the given one', () => {
    expect(validateFilter({ any: [{ list: 'l', op: 'in' }] }, 'segment', '/params/filter')[0]?.path).toBe(
      '/params/filter/any/0/op',
    );
  });

  test.each([
    [
      'a bad op',
      {
        all: [
          { attr: 'a', op: 'eq', value: 1 },
          { attr: 'b', op: 'eqq', value: 1 },
        ],
      },
      '/filter/all/1/op',
    ],
    [
      'a bad within',
      {
        any: [
          { tag: 'x', op: 'has' },
          { event: 'buy', op: 'count', within: 'soon' },
        ],
      },
      '/filter/any/1/within',
    ],
    ['in without an array', { attr: 'a', op: 'in', value: 1 }, '/filter/value'],
    ['a missing value', { attr: 'a', op: 'eq' }, '/filter/value'],
    ['an empty tag', { all: [{ tag: '', op: 'has' }] }, '/filter/all/0/tag'],
    ['a step path that is no string', { step: 'n1', path: 1, op: 'exists' }, '/filter/path'],
    ['a reserved attribute path', { attr: 'a.__proto__', op: 'exists' }, '/filter/attr'],
    ['a bad count bound', { tag: 'x', op: 'has', count: { gte: 1.5 } }, '/filter/count/gte'],
    ['a count key that is no bound', { tag: 'x', op: 'has', count: { 'a/b': 1 } }, '/filter/count/a~1b'],
    ['an event bound that is no number', { event: 'buy', op: 'count', gte: 'one' }, '/filter/gte'],
    ['all that is no list', { all: { attr: 'a', op: 'exists' } }, '/filter/all'],
  ] as [string, unknown, string][])('points at the faulty key itself: %s', (_name, filter, path) => {
    expect(validateFilter(filter, 'condition', '/filter').map((e) => e.path)).toEqual([path]);
  });

  test('keeps each problem’s message, one per key', () => {
    expect(validateFilter({ all: [{ tag: '', op: 'maybe' }] }, 'segment', '/filter')).toEqual([
      { path: '/filter/all/0/tag', message: 'tag must be a non-empty string' },
      { path: '/filter/all/0/op', message: 'op must be "has" or "hasNot"' },
    ]);
    expect(validateFilter({ attr: 'a', op: 'in', value: 1 }, 'segment', '/filter')).toEqual([
      { path: '/filter/value', message: 'op "in" needs an array value' },
    ]);
  });

  test('names each unknown key at its own pointer', () => {
    expect(validateFilter({ attr: 'a', op: 'exists', colour: 'red', size: 2 }, 'segment')).toEqual([
      { path: '/colour', message: 'unknown key colour in a attr clause' },
      { path: '/size', message: 'unknown key size in a attr clause' },
    ]);
  });

  test('names the clause when the clause itself is wrong', () => {
    expect(validateFilter({ all: [{ attr: 'a', tag: 'b', op: 'eq' }] }, 'segment').map((e) => e.path)).toEqual([
      '/all/0',
    ]);
    expect(validateFilter({ any: [{ trigger: 'x', op: 'exists' }] }, 'segment').map((e) => e.path)).toEqual(['/any/0']);
    expect(validateFilter({ not: 'plan = pro' }, 'segment').map((e) => e.path)).toEqual(['/not']);
  });

  test('refuses trigger and step clauses outside conditions', () => {
    expect(validateFilter({ trigger: 'x', op: 'exists' }, 'segment')).toHaveLength(1);
    expect(validateFilter({ step: 'n1', path: 'a', op: 'exists' }, 'event')).toHaveLength(1);
  });

  test('checks an event clause’s where in the event context', () => {
    const errors = validateFilter({ event: 'buy', op: 'count', where: { event: 'x', op: 'count' } }, 'segment');
    expect(errors.map((e) => e.path)).toEqual(['/where']);
  });

  test.each([
    [[], 'an array'],
    [{ attr: 'a' }, 'no op'],
    [{ attr: 'a', op: 'in', value: 1 }, 'in without an array'],
    [{ attr: 'a', op: 'eq', value: 1, extra: true }, 'an unknown key'],
    [{ tag: 'a', op: 'has', lastAddedWithin: 'soon' }, 'a bad duration'],
    [{ event: 'a', op: 'count', gte: 'one' }, 'a bound that is not a number'],
    [{ attr: 'a', tag: 'b', op: 'eq' }, 'two kinds at once'],
  ] as [unknown, string][])('refuses %j (%s)', (filter) => {
    expect(validateFilter(filter, 'segment')).toHaveLength(1);
  });
});
