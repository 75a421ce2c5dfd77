import {
  type AttrClause,
  type CountRange,
  type EventClause,
  evaluateFilter,
  type Filter,
  type FilterScope,
  type JsonValue,
  type ListClause,
  type TagClause,
} from '@waymark/sdk';
import { type RawBuilder, sql } from 'kysely';
import { isClause, since } from '../sdk/src/filter/evaluate.js';
import { boundOf, INSTANT_PATTERN, SUB_MILLISECOND } from '../sdk/src/filter/instants.js';
import { fieldOperand, RANGE_KEYS } from '../sdk/src/filter/values.js';

export interface CompileOptions {
  /** The instant "now" means for expiries and windows; the in-memory evaluator gets the same. */
  now: Date;
  /** What `trigger` and `step` clauses read (conditions only); without it they are false. */
  scope?: FilterScope;
  /** A jsonb expression that `attr` clauses read instead of the contact (event filters). */
  properties?: RawBuilder<unknown>;
  /** The contact's id that `tag` and `list` clauses read: `c.id`, or an event's `e.contact_id` over `events e`. */
  contactId?: RawBuilder<unknown>;
}

type Bool = RawBuilder<boolean>;
const FIELD_COLUMNS: Record<string, string> = {
  email: 'email',
  phone: 'phone',
  externalId: 'external_id',
  timezone: 'timezone',
};
const OPS: Record<string, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=' };

const json = (v: JsonValue) => sql`${JSON.stringify(v)}::jsonb`;
const join = (parts: Bool[], glue: 'and' | 'or'): Bool =>
  parts.length ? sql<boolean>`(${sql.join(parts, sql.raw(` ${glue} `))})` : sql<boolean>`${sql.lit(glue === 'and')}`;

/** `{a:{b:v}}` for containment on the GIN index, or null when the path indexes an array. */
function nested(segments: string[], v: JsonValue): JsonValue | null {
  if (segments.some((s) => /^-?\d+$/.test(s))) return null;
  return segments.reduceRight<JsonValue>((acc, key) => ({ [key]: acc }), v);
}

/**
 * `before`/`after` as `compare` has them: the cast runs only on a text of `INSTANT_PATTERN`,
 * read as `instantOf` reads it (a date at 00:00 UTC, digits past the millisecond dropped), so
 * a value that is no instant is false and never an error; the bound is computed from `now`.
 */
function instantComparison(x: RawBuilder<unknown>, op: 'before' | 'after', v: JsonValue | undefined, now: Date): Bool {
  const bound = boundOf(v, now);
  if (bound === null) return sql<boolean>`false`;
  const text = sql`(${x} #>> '{}')`;
  const instant = sql`(case when length(${text}) = 10 then ${text} || 'T00:00:00Z'
    else regexp_replace(${text}, ${SUB_MILLISECOND}, ${'\\1'}) end)::timestamptz`;
  return sql<boolean>`coalesce(case when jsonb_typeof(${x}) = 'string' and ${text} ~ ${INSTANT_PATTERN}
    then ${instant} ${sql.raw(op === 'before' ? '<' : '>')} ${new Date(bound).toISOString()}::timestamptz end, false)`;
}

/** A comparison of a jsonb expression `x` (SQL NULL when absent), never NULL itself. */
function comparison(x: RawBuilder<unknown>, op: AttrClause['op'], v: JsonValue | undefined, now: Date): Bool {
  switch (op) {
    case 'before':
    case 'after':
      return instantComparison(x, op, v, now);
    case 'exists':
      return sql<boolean>`coalesce(${x} <> 'null'::jsonb, false)`;
    case 'eq':
      return v === undefined ? sql<boolean>`false` : sql<boolean>`coalesce(${x} = ${json(v)}, false)`;
    case 'neq':
      return sql<boolean>`not ${comparison(x, 'eq', v, now)}`;
    case 'in':
      return Array.isArray(v)
        ? sql<boolean>`coalesce(${x} = any(${v.map((e) => JSON.stringify(e))}::jsonb[]), false)`
        : sql<boolean>`false`;
    case 'nin':
      return sql<boolean>`not ${comparison(x, 'in', v, now)}`;
    case 'contains': {
      if (v === undefined) return sql<boolean>`false`;
      const inArray = sql`when 'array' then exists (select 1 from jsonb_array_elements(${x}) el where el = ${json(v)})`;
      const inText = typeof v === 'string' ? sql`when 'string' then strpos(${x} #>> '{}', ${v}) > 0` : sql``;
      return sql<boolean>`coalesce(case jsonb_typeof(${x}) ${inText} ${inArray} end, false)`;
    }
    default: {
      const cmp = sql.raw(OPS[op] ?? '=');
      if (typeof v === 'number')
        return sql<boolean>`coalesce(case when jsonb_typeof(${x}) = 'number' then (${x})::numeric ${cmp} ${v}::numeric end, false)`;
      if (typeof v === 'string')
        return sql<boolean>`coalesce(case when jsonb_typeof(${x}) = 'string' then (${x} #>> '{}') collate "C" ${cmp} ${v}::text collate "C" end, false)`;
      return sql<boolean>`false`;
    }
  }
}

/**
 * The contact `c`'s attribute at a dotted path (`profile.birthday` reaches into nested
 * attributes) as jsonb, SQL NULL when absent: how SQL reads an attribute path.
 */
export function attributeAt(path: string): RawBuilder<unknown> {
  return sql`(c.attributes #> ${path.split('.')}::text[])`;
}

function attr(c: AttrClause, o: CompileOptions): Bool {
  const segments = c.attr.split('.');
  if (o.properties) return comparison(sql`(${o.properties} #> ${segments}::text[])`, c.op, c.value, o.now);
  const column = Object.hasOwn(FIELD_COLUMNS, c.attr) ? FIELD_COLUMNS[c.attr] : undefined;
  if (column) return comparison(sql`to_jsonb(c.${sql.raw(column)})`, c.op, fieldOperand(c.attr, c.value), o.now);
  const x = attributeAt(c.attr);
  const scalar = c.value === null || ['string', 'number', 'boolean'].includes(typeof c.value);
  const shape = c.op === 'eq' && scalar && c.value !== undefined ? nested(segments, c.value) : null;
  // Containment of a scalar is exact equality and can use the jsonb_path_ops GIN index.
  return shape === null ? comparison(x, c.op, c.value, o.now) : sql<boolean>`(c.attributes @> ${json(shape)})`;
}

const contactOf = (o: CompileOptions) => o.contactId ?? sql`c.id`;

function range(n: RawBuilder<unknown>, r: CountRange, fallback: CountRange = {}): Bool[] {
  const given = RANGE_KEYS.some((k) => typeof r[k] === 'number');
  const use = given ? r : fallback;
  return RANGE_KEYS.filter((k) => typeof use[k] === 'number').map(
    (k) => sql<boolean>`${n} ${sql.raw(OPS[k] ?? '=')} ${use[k]}`,
  );
}

function tag(c: TagClause, o: CompileOptions): Bool {
  const conds = [
    ...range(sql`t.count`, c.count ?? {}),
    ...(c.lastAddedWithin ? [sql<boolean>`t.last_added_at >= ${since(o.now, c.lastAddedWithin)}`] : []),
  ];
  const has = sql<boolean>`exists (select 1 from contact_tags t where t.contact_id = ${contactOf(o)} and t.tag = ${c.tag}
    and not t.removed and (t.expires_at is null or t.expires_at > ${o.now}) and ${join(conds, 'and')})`;
  return c.op === 'has' ? has : sql<boolean>`not ${has}`;
}

function list(c: ListClause, o: CompileOptions): Bool {
  const recent = c.addedWithin ? sql`and l.added_at >= ${since(o.now, c.addedWithin)}` : sql``;
  const member = sql<boolean>`exists (select 1 from contact_lists l where l.contact_id = ${contactOf(o)} and l.list = ${c.list} ${recent})`;
  return c.op === 'member' ? member : sql<boolean>`not ${member}`;
}

function event(c: EventClause, o: CompileOptions): Bool {
  // A window ends now: an event posted with a later timestamp has not happened in it yet.
  const window = c.within ? sql`and e.timestamp >= ${since(o.now, c.within)} and e.timestamp <= ${o.now}` : sql``;
  const where = c.where ? sql`and ${compile(c.where, { ...o, properties: sql`e.properties` })}` : sql``;
  return sql<boolean>`exists (select 1 from (select count(*) as n from events e
    where e.contact_id = c.id and e.name = ${c.event} ${window} ${where}) q where ${join(range(sql`q.n`, c, { gte: 1 }), 'and')})`;
}

function compile(f: Filter, o: CompileOptions): Bool {
  if (isClause(f, 'all'))
    return join(
      f.all.map((x) => compile(x, o)),
      'and',
    );
  if (isClause(f, 'any'))
    return join(
      f.any.map((x) => compile(x, o)),
      'or',
    );
  if (isClause(f, 'not')) return sql<boolean>`not ${compile(f.not, o)}`;
  if (isClause(f, 'attr')) return attr(f, o);
  // A null value compares as an absent attribute does (NODES.md), as `evaluateFilter` has it.
  if (isClause(f, 'computed'))
    return comparison(sql`nullif(c.computed #> ${f.computed.split('.')}::text[], 'null'::jsonb)`, f.op, f.value, o.now);
  if (isClause(f, 'tag')) return tag(f, o);
  if (isClause(f, 'list')) return list(f, o);
  if (isClause(f, 'event')) return event(f, o);
  // trigger and step clauses read the run, not the table: a constant for this evaluation.
  const value = o.scope ? evaluateFilter(f, { contact: null, ...o.scope, now: o.now }) : false;
  return sql<boolean>`${sql.lit(value)}`;
}

/**
 * Compiles an event filter (`attr` names a key of the event's properties) over the jsonb
 * `properties`; its `tag` and `list` clauses read the contact `contactId` (default `c.id`).
 *
 * @example
 * sql`select count(*) from events e where ${compileEventFilter(where, now, sql`e.properties`, sql`e.contact_id`)}`
 */
export function compileEventFilter(
  filter: Filter,
  now: Date,
  properties: RawBuilder<unknown>,
  contactId?: RawBuilder<unknown>,
): Bool {
  return compile(filter, { now, properties, ...(contactId ? { contactId } : {}) });
}

/** A contact of `contacts c` that is not merged away: a merged-away one is its survivor now (contract identity.md). */
export const LIVE_CONTACT: Bool = sql<boolean>`c.merged_into is null`;

/**
 * Compiles a (validated) filter into a parameterised SQL boolean over `contacts c`;
 * agrees with `evaluateFilter`. Values are always bound parameters, never spliced text.
 *
 * @example
 * const where = compileFilter({ tag: 'vip', op: 'has' }, { now: new Date() });
 * await sql`select c.id from contacts c where ${where}`.execute(db);
 */
export function compileFilter(filter: Filter, options: CompileOptions): Bool {
  // A merged-away contact leaves every segment.
  return sql`(${LIVE_CONTACT} and ${compile(filter, options)})`;
}
