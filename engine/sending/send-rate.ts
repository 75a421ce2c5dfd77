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
 * Passes a message through every limit on it, each one a rate across every worker process
 * (sending.md "Send rates and the backlog"): at most `count` requests reaching the server in any
 * sliding window, in the order the messages were queued. Under each rate's lock the message
 * first reserves its place (strictly after the places before it); when its place has come it
 * goes only if no message placed before it is still held and fewer than `count` hand-overs may
 * still reach the server within the window, and records its hand-over. A hand-over counts until
 * its request is answered (`rate_reach_by`, written by markMessage), not only until it was
 * recorded: the commit, the delivery's locks and reads and the request come between, and took
 * hundreds of ms longer for one message than another (7 requests of a 5/s credential reached a
 * stand-in server within 906 ms when the window was spaced from the recorded hand-overs). When
 * one limit holds the message, the hand-overs the earlier ones recorded are taken back. Without
 * `take` it only asks (and reserves its place): the turn is taken just before the request
 * (`takeTurn`). One statement: `waymark_take_rate_slots` (migrations/0071_send_rates_reached_by.ts).
 */
async function takeRateSlots(
  db: Kysely<Database>,
  limits: readonly RateLimit[],
  messageId: string,
  take: boolean,
): Promise<RateGate> {
  if (limits.length === 0) return { go: true };
  const asked = limits.map(({ kind, id, count, windowMs }) => ({ kind, owner: id, count, windowMs }));
  const { rows } = await sql<{ until: Date | null }>`
    select waymark_take_rate_slots(${messageId}::uuid, ${JSON.stringify(asked)}::jsonb, ${take}) as until`.execute(db);
  const until = rows[0]?.until;
  return until ? { go: false, until: new Date(until) } : { go: true };
}

/** The longest a message waits in the worker for its place, rather than its step parking again. */
export const WAIT_IN_PLACE_MS = 250;
const ASKS_IN_PLACE = 4;

/**
 * Takes the message's turn under its rates, recording its hand-over: to be called on the
 * connection that delivers it, right before its delivery's transaction (deliverInTurn), so that
 * little comes between the hand-over and the request.
 */
export function takeTurn(db: Kysely<Database>, limits: readonly RateLimit[], messageId: string): Promise<RateGate> {
  return takeRateSlots(db, limits, messageId, true);
}

/**
 * Asks whether the message's turn under its rates has come (reserving its place at the first
 * ask), waiting in the worker for a turn that is a moment away. A step parked for
 * its place wakes up a little late (its job's fetch and start), so the message it sends goes a
 * little late, and the next second's messages wait a window after THAT: parked again, each
 * second's lateness added to the last's (400 messages at 20/s went out over 20–22.5 s, not 19).
 * A message that waits here goes when the window lets it, so only one wake-up's lateness is
 * ever paid.
 *
 * @example
 * const gate = await waitForTurn(db, limits, messageId);
 * if (!gate.go) return holdForRate(db, messageId, gate.until);
 */
export async function waitForTurn(
  db: Kysely<Database>,
  limits: readonly RateLimit[],
  messageId: string,
  /** Called once the message holds its place in each rate's queue (the first ask reserves it). */
  onPlaced?: () => void,
): Promise<RateGate> {
  let gate = await takeRateSlots(db, limits, messageId, false);
  onPlaced?.();
  // In a caller's transaction the rate's lock is held until it commits: waiting would stop every sender of the rate.
  if (db.isTransaction) return gate;
  for (let ask = 1; !gate.go && ask < ASKS_IN_PLACE; ask++) {
    const wait = gate.until.getTime() - Date.now();
    if (wait > WAIT_IN_PLACE_MS) break;
    await sleep(Math.max(0, wait));
    gate = await takeRateSlots(db, limits, messageId, false);
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
 * `GET /api/credentials/:id/backlog`: the credential's messages held for a rate — its own
 * `maxPerSecond` (or a provider's 429), or the `sendRate` of the journey sending them — of the
 * workspace asking only (a credential's messages are its workspace's, but the query does not
 * lean on its caller having checked that). Each side reads its partial index of held messages.
 */
export async function rateBacklog(db: Kysely<Database>, workspaceId: string, credentialId: string) {
  const { rows } = await sql<{ queued: number; oldest: Date | null }>`
    select count(*)::int as queued, min(created_at) as oldest from messages
    where workspace_id = ${workspaceId} and credential_id = ${credentialId} and status = 'queued'
      and ((rate_slot_at is not null and rate_sent_at is null)
        or (journey_slot_at is not null and journey_sent_at is null))`.execute(db);
  return { queued: rows[0]?.queued ?? 0, oldestQueuedAt: rows[0]?.oldest ? new Date(rows[0].oldest) : null };
}
