import { NAME_MAX_LENGTH, nameProblem } from '../contact.js';
import type { ErrorDetail } from '../errors.js';
import { eventNameProblem } from '../event-name.js';
import { DURATION_BOUND_TEXT, isDurationWithinBound, parseDuration } from '../time/duration.js';
import { boundProblem } from './instants.js';
import type { CountRange } from './types.js';
import { RANGE_KEYS } from './values.js';

/**
 * Where a filter is used: `segment` (contacts only), `condition` (adds `trigger` and `step`
 * clauses), `event` (attr names a key of the event's properties).
 */
export type FilterContext = 'segment' | 'condition' | 'event';

/** JSON Schema of a filter param: the editor draws its visual builder for `format: "filter"`. */
export const filterSchema = { type: 'object', format: 'filter' } as const;

const COMPARE_OPS = ['eq', 'neq', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'contains', 'exists', 'before', 'after'];
const KINDS = ['all', 'any', 'not', 'attr', 'computed', 'tag', 'list', 'event', 'trigger', 'step'] as const;
type Kind = (typeof KINDS)[number];

// The keys each clause may carry besides its kind key.
const ALLOWED: Record<Kind, readonly string[]> = {
  all: [],
  any: [],
  not: [],
  attr: ['op', 'value'],
  computed: ['op', 'value'],
  trigger: ['op', 'value'],
  step: ['path', 'op', 'value'],
  tag: ['op', 'count', 'lastAddedWithin'],
  list: ['op', 'addedWithin'],
  event: ['op', 'within', 'where', ...RANGE_KEYS],
};

/** How deep clauses may nest (`all`, `any`, `not` and an event's `where` each go one level down). */
export const MAX_FILTER_DEPTH = 32;

/**
 * Path segments that name no field: an attribute, trigger or step path holding one is refused,
 * so no lookup ever reaches an object's prototype (the evaluators read own properties only).
 */
export const RESERVED_NAMES: readonly string[] = ['__proto__', 'constructor', 'prototype'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown) => ['string', 'number', 'boolean'].includes(typeof v);

/** One problem of a clause, at the key it is about: `at` is a pointer below the clause (`/op`, `/count/gte`). */
interface KeyProblem {
  at: string;
  message: string;
}
const atKey = (key: string, message: string): KeyProblem[] => [{ at: `/${key}`, message }];
/** A key a client chose, as one JSON pointer token (RFC 6901). */
const token = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

// A missing value is named where it belongs, as a schema names a missing field.
function comparisonProblems(c: Obj): KeyProblem[] {
  const op = c.op;
  if (typeof op !== 'string' || !COMPARE_OPS.includes(op))
    return atKey('op', `op must be one of ${COMPARE_OPS.join(', ')}`);
  // A value beside `exists` was dropped without a word: the clause did not say what was meant.
  if (op === 'exists') return Object.hasOwn(c, 'value') ? atKey('value', 'op "exists" takes no value') : [];
  if (!Object.hasOwn(c, 'value')) return atKey('value', `op "${op}" needs a value`);
  const v = c.value;
  if ((op === 'in' || op === 'nin') && !Array.isArray(v)) return atKey('value', `op "${op}" needs an array value`);
  if (['gt', 'gte', 'lt', 'lte'].includes(op) && typeof v !== 'number' && typeof v !== 'string')
    return atKey('value', `op "${op}" needs a number or string value`);
  if (op === 'contains' && !isScalar(v)) return atKey('value', 'op "contains" needs a string, number or boolean value');
  const instant = op === 'before' || op === 'after' ? boundProblem(v) : null;
  return instant ? atKey('value', `op "${op}" ${instant}`) : [];
}

// A window reaching back past the bound starts before the times PostgreSQL stores: a filter
// run as SQL (a condition on events, a segment) failed its step on every retry.
function durationProblem(c: Obj, key: string): KeyProblem[] {
  if (!Object.hasOwn(c, key)) return [];
  const ms = typeof c[key] === 'string' ? parseDuration(c[key] as string) : null;
  if (ms === null) return atKey(key, `${key} must be an ISO 8601 duration (e.g. P7D)`);
  // A window of no length holds no instant, as a tag's ttl of zero is never active.
  if (ms === 0) return atKey(key, `${key} must be longer than zero (got "${c[key]}")`);
  return isDurationWithinBound(ms) ? [] : atKey(key, `${key} must be ${DURATION_BOUND_TEXT}`);
}

/** The largest count a bound may name: a tag's count is a PostgreSQL integer. */
const COUNT_MAX = 2_147_483_647;

// Counts are compared in SQL as integers: a bound of 1.5 or 1e20 failed the step on every
// retry ('invalid input syntax for type bigint', 'out of range'); one below zero means nothing.
// `where` names the bounds' object for messages (`count.`) and pointers (`count/`), or is ''.
// `least` is the smallest count there is: 0 events, but a tag a contact has was added at least once.
function rangeProblems(r: Obj, where: string, least: number): KeyProblem[] {
  const each = RANGE_KEYS.filter((k) => Object.hasOwn(r, k)).flatMap((k) => {
    const v = r[k];
    const key = where ? `${where}/${k}` : k;
    const named = where ? `${where}.${k}` : k;
    if (typeof v !== 'number' || !Number.isFinite(v)) return atKey(key, `${named} must be a number`);
    return Number.isInteger(v) && v >= 0 && v <= COUNT_MAX
      ? []
      : atKey(key, `${named} must be a whole number from 0 to ${COUNT_MAX}`);
  });
  return each.length ? each : emptyRangeProblems(r as CountRange, where, least);
}

/**
 * Bounds that together leave no whole count from `least` to `COUNT_MAX` (`{"gt": 5, "lt": 3}`,
 * `{"lt": 0}`) matched nothing, and a segment answered 0 as if no contact qualified. Named at
 * the bound that closes the range: the upper one, or the lower one when it passes the largest.
 */
function emptyRangeProblems(r: CountRange, where: string, least: number): KeyProblem[] {
  const given = RANGE_KEYS.filter((k) => r[k] !== undefined);
  const lowOf = { gt: (r.gt ?? 0) + 1, gte: r.gte, eq: r.eq } as Partial<Record<string, number>>;
  const highOf = { lt: (r.lt ?? 0) - 1, lte: r.lte, eq: r.eq } as Partial<Record<string, number>>;
  const pick = (of: Partial<Record<string, number>>, better: (a: number, b: number) => boolean, start: number) =>
    given.reduce<[string, number]>(
      (best, k) => {
        const v = of[k];
        return v !== undefined && better(v, best[1]) ? [k, v] : best;
      },
      ['', start],
    );
  const [lowKey, low] = pick(lowOf, (a, b) => a > b, least);
  const [highKey, high] = pick(highOf, (a, b) => a < b, COUNT_MAX);
  if (low <= high) return [];
  const at = highKey || lowKey;
  const shown = JSON.stringify(Object.fromEntries(given.map((k) => [k, r[k]])));
  const message = where
    ? `${where} ${shown} matches no tag a contact has (its count is at least ${least})`
    : `${shown} matches no count of events`;
  return atKey(where ? `${where}/${at}` : at, message);
}

/** Why a dotted path names no field: one of its segments is reserved (`RESERVED_NAMES`). */
function pathProblems(key: string, path: unknown): KeyProblem[] {
  if (typeof path !== 'string') return [];
  const reserved = path.split('.').filter((seg) => RESERVED_NAMES.includes(seg));
  return reserved.length ? atKey(key, `${key} names no field: "${reserved[0]}" is reserved`) : [];
}

// A tag or list name the API would refuse to write (`tagSchema`, `listSchema`) is held by no contact.
function heldNameProblems(kind: 'tag' | 'list', name: unknown): KeyProblem[] {
  const problem = nameProblem(name);
  if (problem === 'blank') return atKey(kind, `${kind} must not be blank`);
  return problem === 'long' ? atKey(kind, `${kind} must be at most ${NAME_MAX_LENGTH} characters`) : [];
}

// No event is stored under a blank name (`eventNameSchema`): a clause naming one counted nothing.
function eventNameProblems(name: unknown): KeyProblem[] {
  const problem = eventNameProblem(name);
  return problem ? atKey('event', `event ${problem}`) : [];
}

function namedProblems(kind: Kind, name: unknown): KeyProblem[] {
  if (typeof name !== 'string' || name.length === 0) return atKey(kind, `${kind} must be a non-empty string`);
  if (kind === 'tag' || kind === 'list') return heldNameProblems(kind, name);
  return kind === 'event' ? eventNameProblems(name) : [];
}

function clauseProblems(kind: Kind, c: Obj): KeyProblem[] {
  const name = c[kind];
  const named = namedProblems(kind, name);
  switch (kind) {
    case 'attr':
    case 'computed':
    case 'trigger':
      return [...named, ...pathProblems(kind, name), ...comparisonProblems(c)];
    case 'step':
      return [
        ...named,
        ...pathProblems('step', name),
        ...(typeof c.path === 'string' ? pathProblems('path', c.path) : atKey('path', 'path must be a string')),
        ...comparisonProblems(c),
      ];
    case 'tag': {
      const count = c.count;
      const countProblems =
        count === undefined
          ? []
          : isObj(count)
            ? [
                ...rangeProblems(count, 'count', 1),
                ...Object.keys(count)
                  .filter((k) => !(RANGE_KEYS as readonly string[]).includes(k))
                  .flatMap((k) =>
                    atKey(`count/${token(k)}`, `count.${k} is not a bound (use ${RANGE_KEYS.join(', ')})`),
                  ),
              ]
            : atKey('count', 'count must be an object such as {"gte": 2}');
      const ops = c.op === 'has' || c.op === 'hasNot' ? [] : atKey('op', 'op must be "has" or "hasNot"');
      return [...named, ...ops, ...countProblems, ...durationProblem(c, 'lastAddedWithin')];
    }
    case 'list':
      return [
        ...named,
        ...(c.op === 'member' || c.op === 'notMember' ? [] : atKey('op', 'op must be "member" or "notMember"')),
        ...durationProblem(c, 'addedWithin'),
      ];
    case 'event':
      return [
        ...named,
        ...(c.op === 'count' ? [] : atKey('op', 'op must be "count"')),
        ...rangeProblems(c, '', 0),
        ...durationProblem(c, 'within'),
      ];
    default:
      return [];
  }
}

/**
 * Checks a filter's shape; each problem names the JSON pointer of the bad key (`/all/1/op`,
 * `/value` for a value missing or of the wrong kind), or of the clause when the clause itself
 * is wrong (not an object, no kind or two, not allowed here, nested too deep), prefixed by
 * `pointer`. `trigger` and `step` clauses are allowed only in conditions; in the `event`
 * context `attr` names a key of the event's properties and `event` clauses are refused.
 * Clauses nest at most `MAX_FILTER_DEPTH` levels; a path through a reserved name
 * (`__proto__`, `constructor`, `prototype`) names no field and is refused.
 *
 * @example
 * validateFilter({ all: [{ attr: 'x', op: 'eqq' }] }, 'segment') // [{ path: '/all/0/op', message: 'op must be one of …' }]
 */
export function validateFilter(filter: unknown, context: FilterContext, pointer = ''): ErrorDetail[] {
  return validateClause(filter, context, pointer, 1);
}

function validateClause(filter: unknown, context: FilterContext, pointer: string, depth: number): ErrorDetail[] {
  const fail = (message: string): ErrorDetail[] => [{ path: pointer, message }];
  if (depth > MAX_FILTER_DEPTH) return fail(`filters nest at most ${MAX_FILTER_DEPTH} levels deep`);
  if (!isObj(filter)) return fail('a filter must be an object');
  const kinds = KINDS.filter((k) => Object.hasOwn(filter, k));
  if (kinds.length !== 1) {
    return fail(
      kinds.length
        ? `a filter clause has exactly one of ${KINDS.join(', ')}; found ${kinds.join(', ')}`
        : `a filter clause needs one of ${KINDS.join(', ')}`,
    );
  }
  const kind = kinds[0] as Kind;
  const extra = Object.keys(filter).filter((k) => k !== kind && !ALLOWED[kind].includes(k));
  if (extra.length)
    return extra.map((k) => ({ path: `${pointer}/${token(k)}`, message: `unknown key ${k} in a ${kind} clause` }));
  if (kind === 'all' || kind === 'any') {
    const children = filter[kind];
    if (!Array.isArray(children))
      return [{ path: `${pointer}/${kind}`, message: `${kind} must be an array of filters` }];
    return children.flatMap((f, i) => validateClause(f, context, `${pointer}/${kind}/${i}`, depth + 1));
  }
  if (kind === 'not') return validateClause(filter.not, context, `${pointer}/not`, depth + 1);
  if ((kind === 'trigger' || kind === 'step') && context !== 'condition')
    return fail(`${kind} clauses are allowed only in conditions`);
  if ((kind === 'event' || kind === 'computed') && context === 'event')
    return fail(`${kind} clauses are not allowed in an event filter`);
  const problems = clauseProblems(kind, filter);
  if (problems.length) return problems.map(({ at, message }) => ({ path: `${pointer}${at}`, message }));
  if (kind === 'event' && filter.where !== undefined)
    return validateClause(filter.where, 'event', `${pointer}/where`, depth + 1);
  return [];
}
