import type { JsonValue } from '../api/types/json.ts';
import { durationSeconds, durationWords, isDuration } from '../util/duration.ts';
import type { CompareOp, CountRange, Filter } from './types.ts';

const OPS: Record<CompareOp, string> = {
  eq: 'is',
  neq: 'is not',
  in: 'is one of',
  nin: 'is none of',
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
  contains: 'contains',
  exists: 'is set',
  before: 'is before',
  after: 'is after',
};

function value(v: JsonValue | undefined): string {
  if (Array.isArray(v)) return v.map(value).join(', ');
  return typeof v === 'string' ? v : JSON.stringify(v ?? '');
}

/** A `before`/`after` value: a duration from now in words (`-P30D` → "30 days ago"), a date as written. */
function when(v: JsonValue | undefined): string {
  if (typeof v !== 'string') return value(v);
  const past = v.startsWith('-');
  const d = past ? v.slice(1) : v;
  if (!isDuration(d)) return v;
  if (durationSeconds(d) === 0) return 'now';
  return `${durationWords(d)} ${past ? 'ago' : 'from now'}`;
}

function compare(subject: string, op: CompareOp, v: JsonValue | undefined): string {
  if (op === 'exists') return `${subject} is set`;
  return `${subject} ${OPS[op] ?? op} ${op === 'before' || op === 'after' ? when(v) : value(v)}`;
}

function count(range: CountRange): string {
  const parts = (['eq', 'gte', 'gt', 'lte', 'lt'] as const)
    .filter((k) => range[k] !== undefined)
    .map((k) => (k === 'eq' ? `${range[k]}` : `${OPS[k]} ${range[k]}`));
  return parts.length ? `${parts.join(' and ')} times` : '';
}

const within = (d: string | undefined, word = 'in') => (d ? ` ${word} ${durationWords(d)}` : '');

/** A group's parts, parenthesised when they are groups themselves, so "a and (b or c)" reads right. */
function join(parts: Filter[], word: string): string {
  return parts.map((p) => ('all' in p || 'any' in p ? `(${filterWords(p)})` : filterWords(p))).join(` ${word} `);
}

/**
 * A filter of NODES.md in words, for the canvas line of a node: `{ all: [{ attr: "plan", op:
 * "eq", value: "pro" }, { tag: "interest-a", op: "has" }] }` → "plan is pro and tag interest-a".
 */
export function filterWords(filter: Filter | null | undefined): string {
  if (!filter || typeof filter !== 'object') return '';
  if ('all' in filter) return filter.all.length ? join(filter.all, 'and') : 'everyone';
  if ('any' in filter) return filter.any.length ? join(filter.any, 'or') : 'no one';
  if ('not' in filter) return `not (${filterWords(filter.not)})`;
  if ('attr' in filter) return compare(filter.attr, filter.op, filter.value);
  if ('tag' in filter) {
    const times = filter.count ? ` ${count(filter.count)}` : '';
    return `${filter.op === 'hasNot' ? 'no tag' : 'tag'} ${filter.tag}${times}${within(filter.lastAddedWithin, 'within')}`;
  }
  if ('list' in filter) {
    return `${filter.op === 'notMember' ? 'not in list' : 'in list'} ${filter.list}${within(filter.addedWithin, 'for')}`;
  }
  if ('event' in filter) {
    const where = filter.where ? ` with ${filterWords(filter.where)}` : '';
    return `${filter.event} ${count(filter)}${within(filter.within)}${where}`.replace(/\s+/g, ' ').trim();
  }
  if ('trigger' in filter) return compare(`trigger.${filter.trigger}`, filter.op, filter.value);
  if ('step' in filter) return compare(`${filter.step}.${filter.path}`, filter.op, filter.value);
  return '';
}
