import { parseDuration } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { loadContactRules } from '../messages/contact-rules.js';
import { dropPartitionsBefore } from './partitions.js';
import { loadRetention, RETAINED, type Retained, retentionInterval } from './settings.js';

/** Rows one delete statement removes at most: short transactions, no long locks. */
export const RETENTION_BATCH = 5_000;
const LOCK = 'waymark.retention';

/** Per kind of data, the ISO time before which it is gone, or null when kept for ever. */
export type Cutoffs = Record<Retained, string | null>;

/** Deletes with `statement` (which returns the rows it removed) until a batch comes back short. */
async function inBatches(run: () => Promise<number>): Promise<void> {
  for (;;) if ((await run()) < RETENTION_BATCH) return;
}

async function cutoffOf(db: Kysely<Database>, duration: string | undefined): Promise<Date | null> {
  const interval = duration ? retentionInterval(duration) : null;
  if (!interval) return null;
  const { rows } = await sql<{ at: Date }>`select now() - ${interval}::interval as at`.execute(db);
  return rows[0]?.at ?? null;
}

async function deleteSteps(db: Kysely<Database>, cutoff: Date): Promise<void> {
  // The steps of runs that ended before the cutoff; running and waiting runs keep theirs.
  await inBatches(async () => {
    const result = await sql`
      delete from steps where id in (
        select s.id from runs r join steps s on s.run_id = r.id
        where r.ended_at < ${cutoff} and r.status not in ('running', 'waiting')
        limit ${RETENTION_BATCH})
    `.execute(db);
    return Number(result.numAffectedRows ?? 0);
  });
}

async function deleteEvents(db: Kysely<Database>, cutoff: Date): Promise<void> {
  await dropPartitionsBefore(db, 'events', cutoff);
  await inBatches(async () => {
    const result = await sql`
      delete from events where id in (select id from events where timestamp < ${cutoff} limit ${RETENTION_BATCH})
    `.execute(db);
    return Number(result.numAffectedRows ?? 0);
  });
}

async function deleteMessages(db: Kysely<Database>, cutoff: Date): Promise<void> {
  // Marketing messages the frequency cap still counts stay until they leave its period.
  const rules = await loadContactRules(db);
  const periodMs = rules.marketing ? (parseDuration(rules.marketing.period) ?? 0) : 0;
  const capped = new Date(Date.now() - periodMs);
  const marketingCutoff = capped < cutoff ? capped : cutoff;
  await dropPartitionsBefore(db, 'messages', marketingCutoff);
  await inBatches(async () => {
    const result = await sql`
      delete from messages where id in (
        select id from messages
        where created_at < ${cutoff} and (category <> 'marketing' or created_at < ${marketingCutoff})
        limit ${RETENTION_BATCH})
    `.execute(db);
    return Number(result.numAffectedRows ?? 0);
  });
}

/**
 * Enforces the retention settings now (API.md "Retention") with set-based statements: whole
 * time partitions dropped where a table has them, the rest deleted in bounded batches. One
 * process enforces at a time (a session advisory lock): with `wait` false a process that finds
 * another at it returns null at once, else it waits its turn. Journey stats and metrics are
 * counters of their own and are not reduced.
 *
 * @example
 * const { steps } = (await enforceRetention(db, { wait: true }))!; // '2026-09-03T12:00:00.000Z' or null
 */
export async function enforceRetention(db: Kysely<Database>, options: { wait: boolean }): Promise<Cutoffs | null> {
  return db.connection().execute(async (conn) => {
    if (options.wait) await sql`select pg_advisory_lock(hashtext(${LOCK}))`.execute(conn);
    else {
      const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(hashtext(${LOCK})) as ok`.execute(conn);
      if (!rows[0]?.ok) return null;
    }
    try {
      const settings = await loadRetention(conn);
      const cutoffs = {} as Record<Retained, Date | null>;
      for (const key of RETAINED) cutoffs[key] = await cutoffOf(conn, settings[key]);
      if (cutoffs.steps) await deleteSteps(conn, cutoffs.steps);
      if (cutoffs.events) await deleteEvents(conn, cutoffs.events);
      if (cutoffs.messages) await deleteMessages(conn, cutoffs.messages);
      return {
        steps: cutoffs.steps?.toISOString() ?? null,
        events: cutoffs.events?.toISOString() ?? null,
        messages: cutoffs.messages?.toISOString() ?? null,
      };
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${LOCK}))`.execute(conn);
    }
  });
}
