import { subtractDuration } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { appendAudit } from '../db/audit.js';
import type { Database } from '../db/database.js';
import type { WithinChange } from '../db/transaction.js';
import { loadContactRules } from '../messages/rules/contact-rules.js';
import { pruneExpired } from './expired.js';
import { dropPartitionsBefore } from './partitions.js';
import { NOTHING_REMOVED, type Removed, removedEntry } from './removed-entry.js';
import { loadRetention, RETAINED, type Retained, retentionInterval } from './settings.js';

/** Rows one delete statement removes at most: short transactions, no long locks. */
export const RETENTION_BATCH = 5_000;
const LOCK = 'waymark.retention';

/** Per kind of data, the ISO time before which it is gone, or null when kept for ever. */
export type Cutoffs = Record<Retained, string | null>;

/** Runs `run` (which returns the rows it removed) until a batch comes back short; the rows removed in all. */
async function inBatches(run: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const removed = await run();
    total += removed;
    if (removed < RETENTION_BATCH) return total;
  }
}

async function cutoffOf(db: Kysely<Database>, duration: string | undefined): Promise<Date | null> {
  const interval = duration ? retentionInterval(duration) : null;
  if (!interval) return null;
  const { rows } = await sql<{ at: Date }>`select now() - ${interval}::interval as at`.execute(db);
  return rows[0]?.at ?? null;
}

/** The workspace's runs that ended before the cutoff: the ones whose steps retention removes. */
const endedBefore = (workspaceId: string, cutoff: Date) =>
  // A run that ended before it started before it: that bound is what an index holds (runs_by_workspace).
  sql`r.workspace_id = ${workspaceId} and r.started_at < ${cutoff} and r.ended_at < ${cutoff}
    and r.status not in ('running', 'waiting')`;

async function deleteSteps(
  db: Kysely<Database>,
  workspaceId: string,
  cutoff: Date,
): Promise<Pick<Removed, 'steps' | 'runTriggers'>> {
  // The steps of runs that ended before the cutoff; running and waiting runs keep theirs.
  const steps = await inBatches(async () => {
    const result = await sql`
      delete from steps where id in (
        select s.id from runs r join steps s on s.run_id = r.id
        where ${endedBefore(workspaceId, cutoff)}
        limit ${RETENTION_BATCH})
    `.execute(db);
    return Number(result.numAffectedRows ?? 0);
  });
  // The trigger payload is the trigger step's output (a webhook's body, often personal data):
  // it goes with the steps, leaving the empty payload a run started without one holds.
  const runTriggers = await inBatches(async () => {
    const result = await sql`
      update runs set trigger = '{}'::jsonb where id in (
        select r.id from runs r
        where ${endedBefore(workspaceId, cutoff)} and r.trigger <> '{}'::jsonb
        limit ${RETENTION_BATCH})
    `.execute(db);
    return Number(result.numAffectedRows ?? 0);
  });
  return { steps, runTriggers };
}

async function deleteEvents(
  db: Kysely<Database>,
  workspaceId: string,
  cutoff: Date,
): Promise<Pick<Removed, 'events' | 'providerEventKeys'>> {
  const events = await inBatches(async () => {
    const result = await sql`
      delete from events where id in (select id from events
        where workspace_id = ${workspaceId} and timestamp < ${cutoff} limit ${RETENTION_BATCH})
    `.execute(db);
    return Number(result.numAffectedRows ?? 0);
  });
  // The keys of provider events that stored no event row (migration 0067) go with the events.
  const keys = await sql`
    delete from provider_event_keys where workspace_id = ${workspaceId} and recorded_at < ${cutoff}`.execute(db);
  return { events, providerEventKeys: Number(keys.numAffectedRows ?? 0) };
}

/** A workspace's cutoffs; for messages also the earlier one of marketing messages the frequency cap counts. */
interface WorkspaceCutoffs extends Record<Retained, Date | null> {
  marketing: Date | null;
}

async function cutoffsOf(db: Kysely<Database>, workspaceId: string): Promise<WorkspaceCutoffs> {
  const settings = await loadRetention(db, workspaceId);
  const cutoffs = { marketing: null } as WorkspaceCutoffs;
  for (const key of RETAINED) cutoffs[key] = await cutoffOf(db, settings[key]);
  if (cutoffs.messages) {
    // Marketing messages the frequency cap still counts stay until they leave its period.
    const rules = await loadContactRules(db, workspaceId);
    const capped = rules.marketing ? subtractDuration(new Date(), rules.marketing.period) : new Date();
    cutoffs.marketing = capped < cutoffs.messages ? capped : cutoffs.messages;
  }
  return cutoffs;
}

/**
 * Messages in a final status: only these are deleted. One still to be sent or decided (queued,
 * held by a send rate, waiting for its step's retry, delayed by quiet hours) is kept whatever
 * its age, until it is sent, suppressed or failed.
 */
const FINAL_MESSAGE = sql<boolean>`status in ('sent', 'suppressed', 'failed')`;

async function deleteMessages(
  db: Kysely<Database>,
  workspaceId: string,
  cutoff: Date,
  marketing: Date,
): Promise<number> {
  return inBatches(async () => {
    // Each message goes with its first opens, clicks and replies (message_firsts), in one statement.
    const { rows } = await sql<{ n: number }>`
      with gone as (
        delete from messages where id in (
          select id from messages
          where workspace_id = ${workspaceId} and created_at < ${cutoff} and ${FINAL_MESSAGE}
            and (category <> 'marketing' or created_at < ${marketing})
          limit ${RETENTION_BATCH})
        returning id
      ), firsts as (
        delete from message_firsts f using gone where f.message_id = gone.id
      )
      select count(*)::int as n from gone
    `.execute(db);
    return rows[0]?.n ?? 0;
  });
}

/** Deletes what one workspace's settings no longer keep; returns its cutoffs and what it removed. */
async function enforceWorkspace(
  db: Kysely<Database>,
  workspaceId: string,
  onStarting?: WithinChange<Cutoffs>,
): Promise<{ cutoffs: Cutoffs; removed: Removed }> {
  const cutoffs = await cutoffsOf(db, workspaceId);
  const iso: Cutoffs = {
    steps: cutoffs.steps?.toISOString() ?? null,
    events: cutoffs.events?.toISOString() ?? null,
    messages: cutoffs.messages?.toISOString() ?? null,
  };
  await onStarting?.(db, iso);
  const removed = { ...NOTHING_REMOVED };
  if (cutoffs.steps) Object.assign(removed, await deleteSteps(db, workspaceId, cutoffs.steps));
  if (cutoffs.events) Object.assign(removed, await deleteEvents(db, workspaceId, cutoffs.events));
  if (cutoffs.messages && cutoffs.marketing)
    removed.messages = await deleteMessages(db, workspaceId, cutoffs.messages, cutoffs.marketing);
  return { cutoffs: iso, removed };
}

/**
 * A time partition holds every workspace's rows: it is dropped whole only before the earliest
 * cutoff of all workspaces, and never while one workspace keeps that data for ever.
 */
async function dropExpiredPartitions(db: Kysely<Database>): Promise<void> {
  const all = await Promise.all((await workspaceIds(db)).map((ws) => cutoffsOf(db, ws)));
  const earliest = (pick: (c: WorkspaceCutoffs) => Date | null): Date | null => {
    let min: Date | null = null;
    for (const c of all) {
      const at = pick(c);
      if (!at) return null;
      if (!min || at < min) min = at;
    }
    return min;
  };
  const events = earliest((c) => c.events);
  const messages = earliest((c) => c.marketing);
  if (events) await dropPartitionsBefore(db, 'events', events);
  if (messages) await dropPartitionsBefore(db, 'messages', messages, { keepWhile: sql`not ${FINAL_MESSAGE}` });
}

async function workspaceIds(db: Kysely<Database>): Promise<string[]> {
  return (await db.selectFrom('workspaces').select('id').execute()).map((w) => w.id);
}

/**
 * Runs `work` holding the retention lock on one connection: one process enforces at a time.
 * With `wait` false a process that finds another at it gets null at once, else it waits its turn.
 */
async function underLock<T>(
  db: Kysely<Database>,
  wait: boolean,
  work: (conn: Kysely<Database>) => Promise<T>,
): Promise<T | null> {
  return db.connection().execute(async (conn) => {
    if (wait) await sql`select pg_advisory_lock(hashtext(${LOCK}))`.execute(conn);
    else {
      const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(hashtext(${LOCK})) as ok`.execute(conn);
      if (!rows[0]?.ok) return null;
    }
    try {
      return await work(conn);
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${LOCK}))`.execute(conn);
    }
  });
}

/**
 * Enforces one workspace's retention settings now (API.md "Retention") with set-based
 * statements: its rows deleted in bounded batches, then whole time partitions dropped where a
 * table has them and every workspace's settings allow it. Journey stats and metrics are
 * counters of their own and are not reduced. Null when `wait` is false and another process
 * is enforcing.
 *
 * @example
 * const { steps } = (await enforceRetention(db, workspaceId, { wait: true }))!; // '2026-09-03T12:00:00.000Z' or null
 */
export async function enforceRetention(
  db: Kysely<Database>,
  workspaceId: string,
  options: { wait: boolean },
  /**
   * Runs on the lock's connection before anything is deleted, with the cutoffs about to be
   * enforced: the deletes run in bounded batches, a transaction each, so there is no one
   * transaction of the change to share, and what throws here stops it before it starts.
   */
  onStarting?: WithinChange<Cutoffs>,
): Promise<Cutoffs | null> {
  return underLock(db, options.wait, async (conn) => {
    const { cutoffs } = await enforceWorkspace(conn, workspaceId, onStarting);
    await dropExpiredPartitions(conn);
    return cutoffs;
  });
}

/**
 * Enforces every workspace's settings, each with its own, then deletes the rows of every
 * workspace that nothing reads any more (`pruneExpired`): the workers' hourly pass. A
 * workspace it removed something of gets a `retention.removed` entry by Waymark itself, once its
 * deletes are done (there is no one transaction to share: each batch commits on its own).
 * Returns how many workspaces were enforced, or null when another process is at it.
 *
 * @example
 * await enforceAllRetention(db, { wait: false });
 */
export async function enforceAllRetention(db: Kysely<Database>, options: { wait: boolean }): Promise<number | null> {
  return underLock(db, options.wait, async (conn) => {
    const ids = await workspaceIds(conn);
    for (const ws of ids) {
      const { cutoffs, removed } = await enforceWorkspace(conn, ws);
      const entry = removedEntry(ws, cutoffs, removed);
      if (entry) await appendAudit(conn, entry);
    }
    await dropExpiredPartitions(conn);
    await pruneExpired(conn);
    return ids.length;
  });
}
