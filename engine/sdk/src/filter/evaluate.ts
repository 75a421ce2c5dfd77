import type { Contact, ContactEvent } from '../contact.js';
import type { JsonObject, JsonValue } from '../json.js';
import { parseDuration, subtractDuration } from '../time/duration.js';
import type { AttrClause, EventClause, Filter, ListClause, TagClause } from './types.js';
import { CONTACT_FIELDS, compare, fieldOperand, inRange, readPath } from './values.js';

/** What an in-memory evaluation reads. With `properties`, `attr` clauses read an event's properties. */
export interface FilterData {
  contact: Contact | null;
  events?: readonly ContactEvent[];
  trigger?: JsonObject;
  steps?: Record<string, { output: JsonValue }>;
  properties?: JsonObject;
  now: Date;
}

type Kind = 'all' | 'any' | 'not' | 'attr' | 'computed' | 'tag' | 'list' | 'event' | 'trigger' | 'step';

/** True when `f` is a clause of `kind`: an own key, never one inherited from a prototype. */
export function isClause<K extends Kind>(f: Filter, kind: K): f is Extract<Filter, Record<K, unknown>> {
  return Object.hasOwn(f, kind);
}

/**
 * True when a clause of one of `kinds` appears anywhere in `filter` (an event clause's `where`
 * included): whether an evaluation needs the contact's tags and lists, or its events.
 *
 * @example
 * mentionsClause({ all: [{ attr: 'plan', op: 'eq', value: 'pro' }, { tag: 'vip', op: 'has' }] }, ['tag', 'list']) // true
 */
export function mentionsClause(filter: Filter, kinds: readonly Kind[]): boolean {
  if (isClause(filter, 'all')) return filter.all.some((f) => mentionsClause(f, kinds));
  if (isClause(filter, 'any')) return filter.any.some((f) => mentionsClause(f, kinds));
  if (isClause(filter, 'not')) return mentionsClause(filter.not, kinds);
  if (kinds.some((k) => isClause(filter, k))) return true;
  return isClause(filter, 'event') && filter.where !== undefined && mentionsClause(filter.where, kinds);
}

/** The instant `duration` before `now`, calendar-aware (a bad duration reaches back to the epoch). */
export function since(now: Date, duration: string): Date {
  return parseDuration(duration) === null ? new Date(0) : subtractDuration(now, duration);
}

function attrMatches(c: AttrClause, data: FilterData): boolean {
  if (data.properties) return compare(readPath(data.properties, c.attr.split('.')), c.op, c.value, data.now);
  const contact = data.contact;
  if ((CONTACT_FIELDS as readonly string[]).includes(c.attr)) {
    const value = contact?.[c.attr as (typeof CONTACT_FIELDS)[number]] ?? undefined;
    return compare(fieldOperand(c.attr, value), c.op, fieldOperand(c.attr, c.value), data.now);
  }
  return compare(contact ? readPath(contact.attributes, c.attr.split('.')) : undefined, c.op, c.value, data.now);
}

function hasTag(c: TagClause, data: FilterData): boolean {
  const t = data.contact?.tags.find((x) => x.tag === c.tag);
  if (!t) return false;
  const active = t.active && (t.expiresAt === null || Date.parse(t.expiresAt) > data.now.getTime());
  return (
    active &&
    inRange(t.count, c.count ?? {}) &&
    (!c.lastAddedWithin || Date.parse(t.lastAddedAt) >= since(data.now, c.lastAddedWithin).getTime())
  );
}

function isMember(c: ListClause, data: FilterData): boolean {
  const l = data.contact?.lists.find((x) => x.list === c.list);
  return Boolean(l) && (!c.addedWithin || Date.parse(l?.addedAt ?? '') >= since(data.now, c.addedWithin).getTime());
}

/** `data` with an event's properties (assigned: adding a key after a spread is slow on Node 20). */
function withProperties(data: FilterData, properties: JsonObject): FilterData {
  return Object.assign({}, data, { properties });
}

function countEvents(c: EventClause, data: FilterData): boolean {
  const from = c.within ? since(data.now, c.within).getTime() : Number.NEGATIVE_INFINITY;
  // A window ends now, as the SQL compiler's does: a later-dated event has not happened in it yet.
  const to = c.within ? data.now.getTime() : Number.POSITIVE_INFINITY;
  const n = (data.events ?? []).filter(
    (e) =>
      e.name === c.event &&
      (!data.contact || e.contactId === data.contact.id) &&
      Date.parse(e.timestamp) >= from &&
      Date.parse(e.timestamp) <= to &&
      (!c.where || evaluateFilter(c.where, withProperties(data, e.properties))),
  ).length;
  return inRange(n, c, { gte: 1 });
}

/**
 * Evaluates a filter for one contact in memory; agrees with the SQL compiler.
 *
 * @example
 * evaluateFilter({ attr: 'country', op: 'eq', value: 'FI' }, { contact, now: new Date() })
 */
export function evaluateFilter(filter: Filter, data: FilterData): boolean {
  if (isClause(filter, 'all')) return filter.all.every((f) => evaluateFilter(f, data));
  if (isClause(filter, 'any')) return filter.any.some((f) => evaluateFilter(f, data));
  if (isClause(filter, 'not')) return !evaluateFilter(filter.not, data);
  if (isClause(filter, 'attr')) return attrMatches(filter, data);
  if (isClause(filter, 'computed')) {
    const value = readPath(data.contact?.computed ?? {}, filter.computed.split('.'));
    // A null value compares as an absent attribute does.
    return compare(value === null ? undefined : value, filter.op, filter.value, data.now);
  }
  if (isClause(filter, 'tag')) return filter.op === 'has' ? hasTag(filter, data) : !hasTag(filter, data);
  if (isClause(filter, 'list')) return filter.op === 'member' ? isMember(filter, data) : !isMember(filter, data);
  if (isClause(filter, 'event')) return countEvents(filter, data);
  if (isClause(filter, 'trigger'))
    return compare(readPath(data.trigger ?? {}, filter.trigger.split('.')), filter.op, filter.value, data.now);
  if (isClause(filter, 'step')) {
    const steps = data.steps;
    const output = steps && Object.hasOwn(steps, filter.step) ? steps[filter.step]?.output : undefined;
    const value = filter.path ? readPath(output, filter.path.split('.')) : output;
    return compare(value, filter.op, filter.value, data.now);
  }
  return false;
}
