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

  test('names the JSON pointer of each bad clause', () => {
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
    expect(errors.map((e) => e.path)).toEqual(['/all/1', '/all/2/not']);
  });

  test('prefixes pointers with the given one', () => {
    expect(validateFilter({ any: [{ list: 'l', op: 'in' }] }, 'segment', '/params/filter')[0]?.path).toBe(
      '/params/filter/any/0',
    );
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
