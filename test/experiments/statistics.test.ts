import { jStat } from 'jstat';
import { describe, expect, test } from 'vitest';
import { decideWinner, figures } from '../../engine/experiments/figures.js';
import { chiSquared, sampleSize, twoProportionZ, wilson } from '../../engine/experiments/statistics.js';

const v = (key: string, entered: number, converted: number) => ({ key, weight: 1, entered, converted });

describe('the statistics behind an experiment', () => {
  test('chi-squared over three variants matches an independent computation', () => {
    const groups = [v('a', 1000, 100), v('b', 1000, 130), v('c', 1000, 90)];
    const x = 320;
    const n = 3000;
    let chi = 0;
    for (const g of groups) {
      const yes = (g.entered * x) / n;
      const no = (g.entered * (n - x)) / n;
      chi += (g.converted - yes) ** 2 / yes + (g.entered - g.converted - no) ** 2 / no;
    }
    const result = chiSquared(groups);
    expect(result?.statistic).toBeCloseTo(chi, 10);
    expect(result?.df).toBe(2);
    expect((result?.pValue ?? 0) / (1 - jStat.chisquare.cdf(chi, 2))).toBeCloseTo(1, 6);
    expect(figures(groups, 0.95).test).toMatchObject({ name: 'chi-squared', df: 2 });
  });

  test('keeps tiny p-values exact rather than rounding them to zero', () => {
    const z = twoProportionZ(600, 1000, 100, 1000);
    expect(z?.pValue).toBeGreaterThan(0);
    expect(z?.pValue).toBeLessThan(1e-100);
  });

  test("gives the Wilson interval's bound as exactly 0 when none converted and 1 when all did", () => {
    for (const n of [1, 2, 3, 7, 13, 1000]) {
      expect(wilson(0, n)?.[0]).toBe(0);
      expect(wilson(n, n)?.[1]).toBe(1);
    }
  });

  test('has no test, interval or sample size where they are undefined', () => {
    expect(wilson(0, 0)).toBeNull();
    expect(twoProportionZ(0, 100, 0, 100)).toBeNull();
    expect(twoProportionZ(5, 0, 1, 10)).toBeNull();
    expect(chiSquared([v('a', 10, 10), v('b', 10, 10)])).toBeNull();
    expect(sampleSize(0, 0.95)).toBeNull();
    expect(sampleSize(0.95, 0.95)).toBeNull();
    const empty = figures([v('a', 0, 0), v('b', 0, 0)], 0.95);
    expect(empty.variants[1]).toMatchObject({ rate: null, ci95: null, pValue: null, significant: false });
    expect(empty.test.pValue).toBeNull();
  });

  test('with two of three variants entered, measures the later against the earlier when control has none', () => {
    const f = figures([v('control', 0, 0), v('a', 100, 10), v('b', 100, 20)], 0.95);
    expect(f.test).toMatchObject({ name: 'two-proportion-z', df: null });
    expect(f.test.statistic).toBe(twoProportionZ(20, 100, 10, 100)?.z);
    expect(f.test.statistic).toBeGreaterThan(0);
    const withControl = figures([v('a', 100, 20), v('control', 100, 10), v('b', 0, 0)], 0.95);
    expect(withControl.test.statistic).toBe(twoProportionZ(20, 100, 10, 100)?.z);
  });

  test('measures against control when there is one', () => {
    const f = figures([v('a', 100, 10), v('control', 100, 5)], 0.95);
    expect(f.baseline).toBe('control');
    expect(f.variants[0]?.upliftAbsolute).toBeCloseTo(0.05, 12);
  });
});

describe('the automatic winner', () => {
  test('needs every variant to reach minPerVariant first', () => {
    expect(decideWinner([v('a', 99, 10), v('b', 1000, 300)], 100, 0.95)).toEqual({
      kind: 'no-winner',
      reason: 'too-few-contacts',
      pValue: null,
    });
  });

  test('picks the best non-control variant when it beats every other one', () => {
    const d = decideWinner([v('control', 1000, 100), v('a', 1000, 120), v('b', 1000, 200)], 100, 0.95);
    expect(d).toMatchObject({ kind: 'winner', variant: 'b' });
    const vsA = twoProportionZ(200, 1000, 120, 1000)?.pValue as number;
    expect(d.pValue).toBe(vsA);
  });

  test('declares no winner when the best is not significantly better than each other', () => {
    expect(decideWinner([v('a', 1000, 100), v('b', 1000, 110)], 100, 0.95)).toMatchObject({
      kind: 'no-winner',
      reason: 'not-significant',
    });
  });

  test('declares no winner on a tie at the top, and never crowns control', () => {
    expect(decideWinner([v('a', 500, 100), v('b', 500, 100), v('control', 500, 10)], 100, 0.95)).toMatchObject({
      kind: 'no-winner',
    });
    expect(decideWinner([v('control', 1000, 300), v('a', 1000, 100)], 100, 0.95)).toMatchObject({ kind: 'no-winner' });
  });

  test('crowns a split’s only variant once it has minPerVariant, with no p-value: there is no other to beat', () => {
    expect(decideWinner([v('b', 100, 3)], 100, 0.95)).toEqual({ kind: 'winner', variant: 'b', pValue: null });
    expect(decideWinner([v('b', 99, 3)], 100, 0.95)).toMatchObject({ kind: 'no-winner', reason: 'too-few-contacts' });
    expect(decideWinner([v('control', 100, 3)], 100, 0.95)).toMatchObject({
      kind: 'no-winner',
      reason: 'not-significant',
    });
  });
});
