import { type Filter, parseDuration } from '@waymark/sdk';
import { Cron } from 'croner';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { inSpan } from '../observability/trace-context.js';
import { startRunsForContacts } from '../runs/entry/start.js';
import { attributeAt, compileFilter, LIVE_CONTACT } from './compile.js';

/** A trigger node of a live journey's published version. */
export interface TriggerNode {
  journeyId: string;
  /** The journey's workspace: only its contacts are considered. */
  workspaceId: string;
  version: number;
  /** When the version was published: a trigger never evaluated since counts from then. */
  publishedAt: Date;
  nodeId: string;
  type: 'core.segment' | 'core.schedule' | 'core.date';
  params: Record<string, unknown>;
}

/**
 * One evaluation whose contacts enter: the instant it evaluates at (filters and dates are
 * read as of then, in every chunk) and, for core.date, the instant the previous one did; for
 * core.schedule, the cron tick it stands for (its runs' `scheduledAt`).
 */
export interface Tick {
  at: Date;
  from: Date | null;
}

/** What the trigger state says of a trigger when it falls due. */
export interface TriggerMemory {
  /** When the last evaluation was; for the first since its params were published, when they were. */
  lastAt: Date | null;
  /** When this evaluation was due (null: the first since publishing or a change of params). */
  dueAt: Date | null;
}

/** What opening an evaluation decided: the tick whose contacts enter (null: none), and when the next is due. */
export interface Opening {
  tick: Tick | null;
  nextAt: Date | null;
}

// Date triggers scan contacts' date attributes; every 10 s keeps `at` on time without a scan a second.
const DATE_EVERY_MS = 10_000;

/**
 * Opens an evaluation at `now`. core.segment: contacts that stopped matching leave its
 * membership (so they may enter again after matching anew), and those matching enter;
 * core.schedule: at a due cron tick every matching contact enters, and ticks missed while no
 * worker ran are caught up once (the first evaluation after publishing catches up a tick
 * since publishing); core.date: contacts whose date fell due since the last evaluation (or
 * since publishing) enter.
 */
export async function openTick(
  trx: Kysely<Database>,
  t: TriggerNode,
  memory: TriggerMemory,
  now: Date,
): Promise<Opening> {
  if (t.type === 'core.segment') {
    await forgetLeavers(trx, t, now);
    const every = Math.max(1000, parseDuration(String(t.params.every ?? 'PT1M')) ?? 60_000);
    return { tick: { at: now, from: null }, nextAt: new Date(now.getTime() + every) };
  }
  if (t.type === 'core.schedule') {
    const dueAt = memory.dueAt ?? (memory.lastAt && nextTick(t, memory.lastAt));
    if (dueAt && dueAt > now) return { tick: null, nextAt: dueAt };
    // The latest tick that fell due: a tick evaluated late, or caught up, still names its own time.
    const scheduled = dueAt ? (cronOf(t).previousRuns(1, now)[0] ?? dueAt) : null;
    return { tick: scheduled ? { at: now, from: scheduled } : null, nextAt: nextTick(t, now) };
  }
  const nextAt = new Date(now.getTime() + DATE_EVERY_MS);
  return { tick: memory.lastAt ? { at: now, from: memory.lastAt } : null, nextAt };
}

/**
 * The trigger's memory on resuming its journey at `now`: what it would have entered during
 * the pause is passed over, never replayed (API.md "Journeys"). core.segment: the contacts
 * matching now become members without entering, so only those matching anew enter;
 * core.schedule: the next tick is the first after now; core.date: dates due after now enter.
 */
export async function memoryAfterPause(
  trx: Kysely<Database>,
  t: TriggerNode,
  now: Date,
): Promise<{ lastAt: Date; nextAt: Date | null }> {
  if (t.type === 'core.segment') {
    await forgetLeavers(trx, t, now);
    await sql`insert into segment_members (journey_id, node_id, contact_id)
      select ${t.journeyId}, ${t.nodeId}, c.id from contacts c where ${segmentMatch(t, now)}
      on conflict do nothing`.execute(trx);
  }
  return { lastAt: now, nextAt: t.type === 'core.schedule' ? nextTick(t, now) : now };
}

// Contacts that stopped matching leave the segment's membership, so they may enter again after matching anew.
async function forgetLeavers(trx: Kysely<Database>, t: TriggerNode, now: Date): Promise<void> {
  await sql`
    delete from segment_members m where m.journey_id = ${t.journeyId} and m.node_id = ${t.nodeId}
      and not exists (select 1 from contacts c where c.id = m.contact_id and ${segmentMatch(t, now)})`.execute(trx);
}

const cronOf = (t: TriggerNode) => new Cron(String(t.params.cron), { timezone: String(t.params.timezone ?? 'UTC') });
const nextTick = (t: TriggerNode, now: Date) => cronOf(t).nextRun(now);

/** What one chunk of a tick did. */
export interface Chunk {
  /** The contacts it took, in id order; fewer than asked: the tick is through. */
  taken: number;
  /** The last contact it took: the next chunk starts after it. */
  last: string | null;
  started: number;
}

/**
 * Enters the tick's next contacts after `after` (in id order), at most `limit`, in the
 * caller's transaction: a segment's become its members, and each starts a run (re-entry
 * rules apply).
 */
export async function enterChunk(
  trx: Kysely<Database>,
  t: TriggerNode,
  tick: Tick,
  after: string | null,
  limit: number,
): Promise<Chunk> {
  const ids = await candidates(trx, t, tick, after, limit);
  if (ids.length === 0) return { taken: 0, last: null, started: 0 };
  if (t.type === 'core.segment') {
    await sql`insert into segment_members (journey_id, node_id, contact_id)
      select ${t.journeyId}, ${t.nodeId}, unnest(${ids}::uuid[]) on conflict do nothing`.execute(trx);
  }
  const trigger = tickTrigger(t, tick.from ?? tick.at);
  const started = await inSpan(`waymark.trigger ${t.type}`, null, {}, async (span) => {
    span.setAttributes({
      'waymark.journey.id': t.journeyId,
      'waymark.journey.version': t.version,
      'waymark.node.id': t.nodeId,
    });
    const n = await startRunsForContacts(trx, {
      journeyId: t.journeyId,
      version: t.version,
      triggerNodeId: t.nodeId,
      contactIds: ids,
      trigger,
    });
    span.setAttribute('waymark.runs.started', n);
    return n;
  });
  return { taken: ids.length, last: ids[ids.length - 1] ?? null, started };
}

/** The segment, schedule and date triggers, whose runs start from an evaluation rather than a call. */
export const TICK_TRIGGERS: ReadonlySet<string> = new Set(['core.segment', 'core.schedule', 'core.date']);

/**
 * The trigger a run of a segment, schedule or date trigger sees (its trigger step's output),
 * the one rule for ticks and test runs. `scheduledAt`: the cron tick the evaluation stands for.
 *
 * @example
 * tickTrigger({ type: 'core.schedule', nodeId: 'tick', params: {} }, new Date('2026-01-05T09:00:00Z'))
 * // { type: 'core.schedule', scheduledAt: '2026-01-05T09:00:00.000Z' }
 */
export function tickTrigger(
  t: Pick<TriggerNode, 'type' | 'nodeId' | 'params'>,
  scheduledAt: Date,
): Record<string, string> {
  if (t.type === 'core.segment') return { type: t.type, segment: t.nodeId };
  if (t.type === 'core.schedule') return { type: t.type, scheduledAt: scheduledAt.toISOString() };
  return { type: t.type, date: String(t.params.attribute) };
}

function segmentMatch(t: TriggerNode, at: Date) {
  return sql<boolean>`c.workspace_id = ${t.workspaceId} and ${compileFilter(t.params.filter as Filter, { now: at })}`;
}

async function candidates(
  trx: Kysely<Database>,
  t: TriggerNode,
  tick: Tick,
  after: string | null,
  limit: number,
): Promise<string[]> {
  const past = after ? sql`and c.id > ${after}::uuid` : sql``;
  if (t.type === 'core.segment') {
    const { rows } = await sql<{ id: string }>`
      select c.id from contacts c where ${segmentMatch(t, tick.at)} ${past}
        and not exists (select 1 from segment_members m
          where m.journey_id = ${t.journeyId} and m.node_id = ${t.nodeId} and m.contact_id = c.id)
      order by c.id limit ${limit}`.execute(trx);
    return rows.map((r) => r.id);
  }
  if (t.type === 'core.schedule') {
    const where = t.params.filter ? compileFilter(t.params.filter as Filter, { now: tick.at }) : LIVE_CONTACT;
    const { rows } = await sql<{ id: string }>`
      select c.id from contacts c where c.workspace_id = ${t.workspaceId} and ${where} ${past}
      order by c.id limit ${limit}`.execute(trx);
    return rows.map((r) => r.id);
  }
  return datedCandidates(trx, t, tick, past, limit);
}

/**
 * core.date: contacts whose date attribute (+ offsetDays) at `at` in their own time zone fell
 * in (from, now]; yearly. Feb 29 falls on Mar 1 in other years.
 */
async function datedCandidates(
  trx: Kysely<Database>,
  t: TriggerNode,
  tick: Tick,
  past: RawBuilder<unknown>,
  limit: number,
): Promise<string[]> {
  const from = tick.from ?? tick.at;
  const date = sql`(${attributeAt(String(t.params.attribute))} #>> '{}')`;
  const offset = Number(t.params.offsetDays ?? 0);
  const [hh, mm] = String(t.params.at ?? '09:00')
    .split(':')
    .map(Number);
  const due = sql`((make_date(y, substr(d, 6, 2)::int, 1) + (substr(d, 9, 2)::int - 1) + ${offset}::int)
    + make_time(${hh ?? 9}, ${mm ?? 0}, 0)) at time zone tz`;
  const { rows } = await sql<{ id: string }>`
    with dated as (
      select c.id, coalesce(c.timezone, 'UTC') as tz, ${date} as d
      from contacts c
      where c.workspace_id = ${t.workspaceId} and ${LIVE_CONTACT} ${past}
        and ${date} ~ '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])'
    )
    select dated.id from dated
    where exists (select 1 from generate_series(extract(year from ${from}::timestamptz)::int - 1,
                                                extract(year from ${tick.at}::timestamptz)::int + 1) as y
      where ${due} > ${from}::timestamptz and ${due} <= ${tick.at}::timestamptz)
    order by dated.id limit ${limit}`.execute(trx);
  return rows.map((r) => r.id);
}
