import type { JsonValue } from '../json.js';
import { boundOf, instantOf } from './instants.js';
import type { AttrClause, CountRange } from './types.js';

/** The contact fields an `attr` clause may name; any other name reads the attributes. */
export const CONTACT_FIELDS = ['email', 'phone', 'externalId', 'timezone'] as const;

// A phone number as people write it: digits, an optional leading +, spaces, dots, dashes, brackets.
const WRITTEN_PHONE = /^\+?[\d\s().-]*\d[\d\s().-]*$/;

/** How a comparison sees a string of contact field `field`; other values as they are. */
function fold(field: string, value: JsonValue): JsonValue {
  if (typeof value !== 'string') return value;
  if (field === 'email') return value.toLowerCase();
  // Phones are stored in E.164 (`+358401234567`): a number written with spaces or dashes is
  // compared without them. A number without its country code cannot be made E.164 here.
  if (field === 'phone' && WRITTEN_PHONE.test(value)) return value.replace(/[\s().-]/g, '');
  return value;
}

/**
 * What a comparison on contact field `field` sees of `value`: an email's text lower-cased,
 * because emails are stored lower-cased and matched case-insensitively (API.md "Contacts"); a
 * phone written with separators (`+358 40-123 4567`) without them, as phones are stored in
 * E.164. Each string of an `in` list likewise. The SQL compiler folds the clause's value alone
 * (the stored column is folded already); the in-memory evaluator folds both sides through this
 * one rule, so a hand-made contact (`makeContact`) holding `Ann@X.com` matches as a stored one.
 *
 * @example
 * fieldOperand('email', ['Ann@X.com', 1]) // ['ann@x.com', 1]
 * fieldOperand('phone', '+358 40 123 4567') // '+358401234567'
 */
export function fieldOperand(field: string, value: JsonValue | undefined): JsonValue | undefined {
  if (field !== 'email' && field !== 'phone') return value;
  if (Array.isArray(value)) return value.map((v) => fold(field, v));
  return value === undefined ? undefined : fold(field, value);
}

/**
 * Reads a dotted path as PostgreSQL's `#>` does: keys into objects, integer indexes into
 * arrays (negative ones from the end); undefined when absent.
 */
export function readPath(value: JsonValue | undefined, segments: readonly string[]): JsonValue | undefined {
  let cur = value;
  for (const seg of segments) {
    if (Array.isArray(cur)) {
      if (!/^-?\d+$/.test(seg)) return undefined;
      const i = Number(seg);
      cur = cur[i < 0 ? cur.length + i : i];
    } else if (cur !== null && typeof cur === 'object') {
      cur = Object.hasOwn(cur, seg) ? cur[seg] : undefined;
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** JSON equality as jsonb's `=`: same type, numbers by value, objects regardless of key order. */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => jsonEqual(x, b[i] as JsonValue))
    );
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    return (
      ka.length === Object.keys(b).length &&
      ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k] as JsonValue, b[k] as JsonValue))
    );
  }
  return false;
}

/** Compares strings by code point, as PostgreSQL's "C" collation does. */
export function compareText(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * Applies a comparison to a value read from a contact, event or payload (undefined when
 * absent). Typed: numbers compare numerically, strings as text, a type mismatch is false.
 * `before` and `after` compare instants (`instants.ts`); a relative value counts from `now`.
 */
export function compare(
  x: JsonValue | undefined,
  op: AttrClause['op'],
  v: JsonValue | undefined,
  now: Date = new Date(),
): boolean {
  switch (op) {
    case 'before':
    case 'after': {
      const at = instantOf(x);
      const bound = boundOf(v, now);
      if (at === null || bound === null) return false;
      return op === 'before' ? at < bound : at > bound;
    }
    case 'exists':
      return x !== undefined && x !== null;
    case 'eq':
      return x !== undefined && v !== undefined && jsonEqual(x, v);
    case 'neq':
      return !compare(x, 'eq', v);
    case 'in':
      return Array.isArray(v) && v.some((e) => compare(x, 'eq', e));
    case 'nin':
      return !compare(x, 'in', v);
    case 'contains':
      if (typeof x === 'string') return typeof v === 'string' && x.includes(v);
      return Array.isArray(x) && v !== undefined && x.some((e) => jsonEqual(e, v));
    default: {
      let d: number;
      if (typeof v === 'number' && typeof x === 'number') d = x - v;
      else if (typeof v === 'string' && typeof x === 'string') d = compareText(x, v);
      else return false;
      return op === 'gt' ? d > 0 : op === 'gte' ? d >= 0 : op === 'lt' ? d < 0 : d <= 0;
    }
  }
}

export const RANGE_KEYS = ['gt', 'gte', 'lt', 'lte', 'eq'] as const;

/** True when `n` satisfies every bound given; `fallback` applies when none is. */
export function inRange(n: number, range: CountRange, fallback: CountRange = {}): boolean {
  const given = RANGE_KEYS.some((k) => typeof range[k] === 'number');
  const r = given ? range : fallback;
  return (
    (r.gt === undefined || n > r.gt) &&
    (r.gte === undefined || n >= r.gte) &&
    (r.lt === undefined || n < r.lt) &&
    (r.lte === undefined || n <= r.lte) &&
    (r.eq === undefined || n === r.eq)
  );
}
