import { COUNT_OPS, type CountOp } from '../../lib/filter/types.ts';

/**
 * The object a count's bounds are keys of: a tag clause's `count`, or an event clause itself,
 * whose other keys (`event`, `within`, `where`) are kept as they are.
 */
export type Bounds = Record<string, unknown>;

/**
 * The bounds `range` carries, every one (an edit that saw only one dropped the rest), lower ones
 * first: a range reads "≥ 2 and ≤ 5" whatever order its keys were stored in.
 */
export function boundsOf(range: Bounds): CountOp[] {
  return COUNT_OPS.filter((op) => Object.hasOwn(range, op));
}

/** `range` with bound `op` set to `n`, or without it when the box holds no number; all else kept. */
export function withBound(range: Bounds, op: CountOp, n: number | undefined): Bounds {
  const next = { ...range };
  if (n === undefined || Number.isNaN(n)) delete next[op];
  else next[op] = n;
  return next;
}

/** `range` with bound `from` compared as `to`, its number kept. */
export function renamed(range: Bounds, from: CountOp, to: CountOp): Bounds {
  return Object.fromEntries(Object.entries(range).map(([key, v]) => [key === from ? to : key, v]));
}

/** The comparison a bound added beside `used` starts with: the other side of a range ("between"). */
export function otherSide(used: readonly CountOp[]): CountOp {
  const lower = used.some((op) => op === 'gte' || op === 'gt');
  const upper = used.some((op) => op === 'lte' || op === 'lt');
  const prefer: readonly CountOp[] = lower && !upper ? ['lte', 'lt'] : upper && !lower ? ['gte', 'gt'] : [];
  const free = (op: CountOp) => !used.includes(op);
  return prefer.find(free) ?? COUNT_OPS.find(free) ?? 'gte';
}
