import { subtractDuration } from '@waymark/sdk';
import { type RawBuilder, sql } from 'kysely';
import { compileEventFilter, compileFilter } from '../segments/compile.js';
import type { Definition } from './definition.js';

/** Whom a computation covers: every contact of the workspace, or only the given ones. */
export interface Scope {
  workspaceId: string;
  /** Only these contacts (an event's, a merge's); every contact when absent. */
  contactIds?: readonly string[];
  now: Date;
}

type AggregateDef = Extract<Definition, { kind: 'aggregate' }>;
type EventDef = { event: string; within?: string; where?: AggregateDef['where'] };

const number = (p: RawBuilder<unknown>) =>
  sql`case when jsonb_typeof(${p}) = 'number' then (${p} #>> '{}')::numeric end`;

/**
 * The largest double: a sum past it (numeric sums exactly) would be read as Infinity, and
 * answered as null. It is capped there, sign kept (server/README.md "A computed sum past the
 * range of a double"); every event's own value fits a double already.
 */
const DOUBLE_MAX = String(Number.MAX_VALUE);
const inDoubleRange = (n: RawBuilder<unknown>) =>
  sql`least(greatest(${n}, -(${DOUBLE_MAX}::numeric)), ${DOUBLE_MAX}::numeric)`;

/** The matching events of the scope, as the `e` rows of a FROM. */
function matchingEvents(d: EventDef, s: Scope): RawBuilder<unknown> {
  return sql`events e where e.workspace_id = ${s.workspaceId} and e.name = ${d.event}
    ${d.within ? sql`and e.timestamp > ${subtractDuration(s.now, d.within)} and e.timestamp <= ${s.now}` : sql``}
    ${d.where ? sql`and ${compileEventFilter(d.where, s.now, sql`e.properties`, sql`e.contact_id`)}` : sql``}
    ${s.contactIds ? sql`and e.contact_id = any(${s.contactIds as string[]}::uuid[])` : sql``}`;
}

/** Per contact with matching events, `v`: the aggregate as jsonb. */
function aggregate(d: AggregateDef, s: Scope): { perContact: RawBuilder<unknown>; fallback: RawBuilder<unknown> } {
  const p = sql`(e.properties #> ${(d.property ?? '').split('.')}::text[])`;
  const agg: Record<AggregateDef['fn'], RawBuilder<unknown>> = {
    count: sql`to_jsonb(count(*))`,
    sum: sql`to_jsonb(${inDoubleRange(sql`coalesce(sum(${number(p)}), 0)`)})`,
    avg: sql`to_jsonb(avg(${number(p)}))`,
    min: sql`to_jsonb(min(${number(p)}))`,
    max: sql`to_jsonb(max(${number(p)}))`,
    first: sql`(array_agg(${p} order by e.timestamp, e.id))[1]`,
    last: sql`(array_agg(${p} order by e.timestamp desc, e.id desc))[1]`,
  };
  return {
    perContact: sql`select e.contact_id, ${agg[d.fn]} as v from ${matchingEvents(d, s)} group by e.contact_id`,
    fallback: d.fn === 'count' || d.fn === 'sum' ? sql`'0'::jsonb` : sql`'null'::jsonb`,
  };
}

function daysSince(d: Extract<Definition, { kind: 'daysSince' }>, s: Scope): RawBuilder<unknown> {
  const at = d.which === 'first' ? sql`min(e.timestamp)` : sql`max(e.timestamp)`;
  return sql`select e.contact_id,
      to_jsonb(greatest(0, floor(extract(epoch from (${s.now}::timestamptz - ${at})) / 86400))::int) as v
    from ${matchingEvents(d, s)} group by e.contact_id`;
}

/** RFM scores over every contact with a matching event in the window (quantiles need them all). */
function rfm(d: Extract<Definition, { kind: 'rfm' }>, s: Scope): RawBuilder<unknown> {
  const buckets = d.buckets ?? 5;
  const p = sql`(e.properties #> ${d.property.split('.')}::text[])`;
  const all: Scope = { workspaceId: s.workspaceId, now: s.now };
  return sql`select q.contact_id, jsonb_build_object('r', q.r, 'f', q.f, 'm', q.m, 'score', q.r || '' || q.f || '' || q.m) as v
    from (select x.contact_id,
        ceil(${buckets} * cume_dist() over (order by x.days desc))::int as r,
        ceil(${buckets} * cume_dist() over (order by x.n))::int as f,
        ceil(${buckets} * cume_dist() over (order by x.total))::int as m
      from (select e.contact_id, floor(extract(epoch from (${s.now}::timestamptz - max(e.timestamp))) / 86400) as days,
          count(*) as n, coalesce(sum(${number(p)}), 0) as total
        from ${matchingEvents({ ...d, within: d.within ?? 'P365D' }, all)} group by e.contact_id) x) q`;
}

/**
 * `select contact_id, value` (jsonb, never SQL null) of a definition for every contact in the
 * scope that is not merged away: one set-based statement.
 */
export function valuesSql(d: Definition, s: Scope): RawBuilder<{ contact_id: string; value: unknown }> {
  const mine = sql`c.workspace_id = ${s.workspaceId} and c.merged_into is null
    ${s.contactIds ? sql`and c.id = any(${s.contactIds as string[]}::uuid[])` : sql``}`;
  if (d.kind === 'filter') {
    const value =
      'filter' in d
        ? sql`to_jsonb(${compileFilter(d.filter, { now: s.now })})`
        : sql`case ${sql.join(
            d.cases.map(
              (c) => sql`when ${compileFilter(c.when, { now: s.now })} then ${JSON.stringify(c.value)}::jsonb`,
            ),
            sql` `,
          )} else ${JSON.stringify(d.else ?? null)}::jsonb end`;
    return sql`select c.id as contact_id, ${value} as value from contacts c where ${mine}`;
  }
  const { perContact, fallback } =
    d.kind === 'aggregate'
      ? aggregate(d, s)
      : { perContact: d.kind === 'daysSince' ? daysSince(d, s) : rfm(d, s), fallback: sql`'null'::jsonb` };
  return sql`select c.id as contact_id, coalesce(a.v, ${fallback}) as value
    from contacts c left join (${perContact}) a on a.contact_id = c.id where ${mine}`;
}
