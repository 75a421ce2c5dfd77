import { type Filter, parseDuration } from '@waymark/sdk';
import { Cron } from 'croner';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { inSpan } from '../observability/trace-context.js';
import { startRunsForContacts } from '../runs/start.js';
import { compileFilter, LIVE_CONTACT } from './compile.js';

/** A trigger node of a live journey's published version. */
export interface TriggerNode {
  journeyId: string;
  /** The journey's workspace: only its contacts are considered. */
  workspaceId: string;
  version: number;
  nodeId: string;
  type: 'core.segment' | 'core.schedule' | 'core.date';
  params: Record<string, unknown>;
}

/** What an evaluation decided: contacts to start, and when the trigger is next due. */
export interface Evaluation {
  started: number;
  nextAt: Date | null;
}

const CHUNK = 5000;

/** Starts the runs of one trigger evaluation under a root span of its own, which parents their steps. */
function start(trx: Kysely<Database>, t: TriggerNode, ids: string[], trigger: Record<string, string>) {
  if (ids.length === 0) return Promise.resolve(0);
  return inSpan(`waymark.trigger ${t.type}`, null, {}, async (span) => {
    span.setAttributes({
      'waymark.journey.id': t.journeyId,
      'waymark.journey.version': t.version,
      'waymark.node.id': t.nodeId,
    });
    const started = await startChunks(trx, t, ids, trigger);
    span.setAttribute('waymark.runs.started', started);
    return started;
  });
}

async function startChunks(trx: Kysely<Database>, t: TriggerNode, ids: string[], trigger: Record<string, string>) {
  let started = 0;
  for (let i = 0; i < ids.length; i += CHUNK) {
    started += await startRunsForContacts(trx, {
      journeyId: t.journeyId,
      version: t.version,
      triggerNodeId: t.nodeId,
      contactIds: ids.slice(i, i + CHUNK),
      trigger: { type: t.type, ...trigger },
    });
  }
  return started;
}

/**
 * core.segment: contacts matching now and not at the last evaluation enter; those that
 * stopped matching leave the membership, so they may enter again after matching anew.
 */
export async function evaluateSegment(trx: Kysely<Database>, t: TriggerNode, now: Date): Promise<Evaluation> {
  const matches = compileFilter(t.params.filter as Filter, { now });
  const where = sql<boolean>`c.workspace_id = ${t.workspaceId} and ${matches}`;
  const fresh = await sql<{ id: string }>`
    select c.id from contacts c where ${where} and not exists (select 1 from segment_members m
      where m.journey_id = ${t.journeyId} and m.node_id = ${t.nodeId} and m.contact_id = c.id)`.execute(trx);
  await sql`
    delete from segment_members m where m.journey_id = ${t.journeyId} and m.node_id = ${t.nodeId}
      and not exists (select 1 from contacts c where c.id = m.contact_id and ${where})`.execute(trx);
  const ids = fresh.rows.map((r) => r.id);
  if (ids.length) {
    await sql`insert into segment_members (journey_id, node_id, contact_id)
      select ${t.journeyId}, ${t.nodeId}, unnest(${ids}::uuid[]) on conflict do nothing`.execute(trx);
  }
  const every = Math.max(1000, parseDuration(String(t.params.every ?? 'PT1M')) ?? 60_000);
  return { started: await start(trx, t, ids, { segment: t.nodeId }), nextAt: new Date(now.getTime() + every) };
}

/**
 * core.schedule: at a due cron tick every matching contact enters; ticks missed while no
 * worker ran are caught up once. `due` false only computes the first tick after publishing.
 */
export async function evaluateSchedule(
  trx: Kysely<Database>,
  t: TriggerNode,
  now: Date,
  due: boolean,
): Promise<Evaluation> {
  const cron = new Cron(String(t.params.cron), { timezone: String(t.params.timezone ?? 'UTC') });
  const nextAt = cron.nextRun(now);
  if (!due) return { started: 0, nextAt };
  const where = t.params.filter ? compileFilter(t.params.filter as Filter, { now }) : LIVE_CONTACT;
  const { rows } = await sql<{ id: string }>`
    select c.id from contacts c where c.workspace_id = ${t.workspaceId} and ${where}`.execute(trx);
  const ids = rows.map((r) => r.id);
  return { started: await start(trx, t, ids, { scheduledAt: now.toISOString() }), nextAt };
}

/**
 * core.date: contacts whose date attribute (+ offsetDays) at `at` in their own time zone fell
 * in (from, now] enter; yearly. Feb 29 falls on Mar 1 in other years.
 */
export async function evaluateDate(trx: Kysely<Database>, t: TriggerNode, from: Date, now: Date): Promise<Evaluation> {
  const attribute = String(t.params.attribute);
  const offset = Number(t.params.offsetDays ?? 0);
  const [hh, mm] = String(t.params.at ?? '09:00')
    .split(':')
    .map(Number);
  const { rows } = await sql<{ id: string }>`
    with dated as (
      select c.id, coalesce(c.timezone, 'UTC') as tz, c.attributes ->> ${attribute} as d
      from contacts c
      where c.workspace_id = ${t.workspaceId} and ${LIVE_CONTACT} and c.attributes ->> ${attribute} ~ '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])'
    )
    select distinct dated.id from dated
    cross join generate_series(extract(year from ${from}::timestamptz)::int - 1,
                               extract(year from ${now}::timestamptz)::int + 1) as y
    where ((make_date(y, substr(d, 6, 2)::int, 1) + (substr(d, 9, 2)::int - 1) + ${offset}::int)
            + make_time(${hh ?? 9}, ${mm ?? 0}, 0)) at time zone tz
          > ${from}::timestamptz
      and ((make_date(y, substr(d, 6, 2)::int, 1) + (substr(d, 9, 2)::int - 1) + ${offset}::int)
            + make_time(${hh ?? 9}, ${mm ?? 0}, 0)) at time zone tz
          <= ${now}::timestamptz`.execute(trx);
  const ids = rows.map((r) => r.id);
  return { started: await start(trx, t, ids, { date: attribute }), nextAt: null };
}
