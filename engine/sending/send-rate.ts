import { setTimeout as sleep } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';

/** Whether a message may be handed over now, or when to ask again. */
export type RateGate = { go: true } | { go: false; until: Date };

/**
 * A limit on messages handed over: a credential's `maxPerSecond` (per 1 s) or a journey's
 * `sendRate` (`count` per `perSeconds`). Each keeps its own columns on the message: the time
 * the message may go (its slot, in queue order) and the time it was handed over.
 */
export interface RateLimit {
  kind: 'credential' | 'journey';
  id: string;
  count: number;
  windowMs: number;
}

/**
 * What the window is widened by. A message reaches its server a moment after its hand-over is
 * recorded (the commit, the delivery's locks and reads, the request), and not the same moment
 * for each: spaced by the window alone, three messages at 2/s reached a stand-in server within
 * 0.94–0.98 s. Recording the hand-over again as the message left, tried, made each window wait
 * for the last one's deliveries (400 at 20/s took 46 s); 50 ms costs 400 at 20/s one second.
 */
export const HAND_OVER_MARGIN_MS = 50;

/**
 * Passes a message through every limit on it, each one a rate across every worker process
 * (API.md "Send rates"): at most `count` messages handed over in any sliding window, in the
 * order they were queued. Under each rate's lock the message first reserves its slot — now, or
 * one window after the reservation `count` places before it — so held messages keep their
 * order; when its slot has come it goes only if fewer than `count` were really handed over in
 * the last window (a late wake-up cannot make a burst), and records its hand-over. When one
 * limit holds it, the hand-overs the earlier ones recorded are taken back. One statement:
 * `waymark_take_rate_slots` (migrations/0047_rate_slots_in_one_statement.ts).
 */
async function takeRateSlots(db: Kysely<Database>, limits: readonly RateLimit[], messageId: string): Promise<RateGate> {
  if (limits.length === 0) return { go: true };
  const asked = limits.map(({ kind, id, count, windowMs }) => ({
    kind,
    owner: id,
    count,
    windowMs: windowMs + HAND_OVER_MARGIN_MS,
  }));
  const { rows } = await sql<{ until: Date | null }>`
    select waymark_take_rate_slots(${messageId}::uuid, ${JSON.stringify(asked)}::jsonb) as until`.execute(db);
  const until = rows[0]?.until;
  return until ? { go: false, until: new Date(until) } : { go: true };
}

/** The longest a message waits in the worker for its place, rather than its step parking again. */
export const WAIT_IN_PLACE_MS = 250;
const ASKS_IN_PLACE = 4;

/**
 * `takeRateSlots`, waiting in the worker for a place that is a moment away. A step parked for
 * its place wakes up a little late (its job's fetch and start), so the message it sends goes a
 * little late, and the next second's messages wait a window after THAT: parked again, each
 * second's lateness added to the last's (400 messages at 20/s went out over 20–22.5 s, not 19).
 * A message that waits here goes when the window lets it, so only one wake-up's lateness is
 * ever paid.
 *
 * @example
 * const gate = await takeRateSlotsSoon(db, limits, messageId);
 * if (!gate.go) return holdForRate(db, messageId, gate.until);
 */
export async function takeRateSlotsSoon(
  db: Kysely<Database>,
  limits: readonly RateLimit[],
  messageId: string,
  /** Called once the message holds its place in each rate's queue (the first ask reserves it). */
  onPlaced?: () => void,
): Promise<RateGate> {
  let gate = await takeRateSlots(db, limits, messageId);
  onPlaced?.();
  // In a caller's transaction the rate's lock is held until it commits: waiting would stop every sender of the rate.
  if (db.isTransaction) return gate;
  for (let ask = 1; !gate.go && ask < ASKS_IN_PLACE; ask++) {
    const wait = gate.until.getTime() - Date.now();
    if (wait > WAIT_IN_PLACE_MS) break;
    await sleep(Math.max(0, wait));
    gate = await takeRateSlots(db, limits, messageId);
  }
  return gate;
}

/** A journey's `sendRate` as its published version `version` sets it, if any. */
export async function journeySendRate(
  db: Kysely<Database>,
  journeyId: string,
  version: number,
): Promise<RateLimit | null> {
  const { rows } = await sql<{ rate: { count?: unknown; perSeconds?: unknown } | null }>`
    select settings -> 'sendRate' as rate from journey_versions
    where journey_id = ${journeyId}::uuid and version = ${version}::int`.execute(db);
  const rate = rows[0]?.rate;
  if (!rate || typeof rate.count !== 'number' || typeof rate.perSeconds !== 'number') return null;
  return { kind: 'journey', id: journeyId, count: rate.count, windowMs: rate.perSeconds * 1000 };
}

/**
 * `GET /api/credentials/:id/backlog`: the credential's messages held for its rate, of the
 * workspace asking only (a credential's messages are its workspace's, but the query does not
 * lean on its caller having checked that).
 */
export async function rateBacklog(db: Kysely<Database>, workspaceId: string, credentialId: string) {
  const { rows } = await sql<{ queued: number; oldest: Date | null }>`
    select count(*)::int as queued, min(created_at) as oldest from messages
    where workspace_id = ${workspaceId} and credential_id = ${credentialId} and status = 'queued'
      and rate_slot_at is not null and rate_sent_at is null`.execute(db);
  return { queued: rows[0]?.queued ?? 0, oldestQueuedAt: rows[0]?.oldest ? new Date(rows[0].oldest) : null };
}
