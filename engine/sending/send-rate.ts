import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { inTransaction } from '../db/transaction.js';

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

const COLUMNS = {
  credential: { owner: 'credential_id', slot: 'rate_slot_at', sent: 'rate_sent_at' },
  journey: { owner: 'journey_id', slot: 'journey_slot_at', sent: 'journey_sent_at' },
} as const;

const later = (at: Date, ms: number) => new Date(at.getTime() + ms);

/**
 * One rate, across every worker process (API.md "Send rates"): at most `count` messages
 * handed over in any sliding window, in the order they were queued. Under an advisory lock of
 * the limit a message first reserves its slot — now, or one window after the reservation
 * `count` places before it — so held messages keep their order; when its slot has come it
 * goes only if fewer than `count` were really handed over in the last window (a late wake-up
 * cannot make a burst), and records its hand-over.
 */
export async function takeRateSlot(db: Kysely<Database>, limit: RateLimit, messageId: string): Promise<RateGate> {
  const { count, windowMs } = limit;
  const c = COLUMNS[limit.kind];
  const [owner, slotColumn, sentColumn] = [sql.ref(c.owner), sql.ref(c.slot), sql.ref(c.sent)];
  const run = async (trx: Kysely<Database>): Promise<RateGate> => {
    await sql`select pg_advisory_xact_lock(hashtext(${`send-rate:${limit.kind}:${limit.id}`}))`.execute(trx);
    const { rows: own } = await sql<{ slot: Date | null; now: Date }>`
      select ${slotColumn} as slot, clock_timestamp() as now from messages where id = ${messageId}`.execute(trx);
    const now = new Date(own[0]?.now ?? Date.now());
    let slot = own[0]?.slot ? new Date(own[0].slot) : null;
    if (!slot) {
      const { rows } = await sql<{ at: Date }>`
        select ${slotColumn} as at from messages
        where ${owner} = ${limit.id} and ${slotColumn} is not null
        order by ${slotColumn} desc offset ${count - 1} limit 1`.execute(trx);
      const earliest = rows[0] ? later(new Date(rows[0].at), windowMs) : now;
      slot = earliest > now ? earliest : now;
      await sql`update messages set ${slotColumn} = ${slot} where id = ${messageId}`.execute(trx);
    }
    if (slot > now) return { go: false, until: slot };
    const { rows: recent } = await sql<{ at: Date }>`
      select ${sentColumn} as at from messages
      where ${owner} = ${limit.id} and ${sentColumn} > ${later(now, -windowMs)} and id <> ${messageId}
      order by ${sentColumn} desc limit ${count}`.execute(trx);
    const oldest = recent[count - 1];
    if (oldest) return { go: false, until: later(new Date(oldest.at), windowMs) };
    await sql`update messages set ${sentColumn} = ${now} where id = ${messageId}`.execute(trx);
    return { go: true };
  };
  return inTransaction(db, run);
}

/**
 * Passes a message through every limit on it (API.md: a credential's and its journey's rates
 * both apply). When one holds it, the hand-overs the earlier ones recorded are taken back:
 * it was not handed over, and asks them all again when its time comes.
 */
export async function takeRateSlots(
  db: Kysely<Database>,
  limits: readonly RateLimit[],
  messageId: string,
): Promise<RateGate> {
  for (const [i, limit] of limits.entries()) {
    const gate = await takeRateSlot(db, limit, messageId);
    if (gate.go) continue;
    for (const passed of limits.slice(0, i)) {
      await sql`update messages set ${sql.ref(COLUMNS[passed.kind].sent)} = null where id = ${messageId}`.execute(db);
    }
    return gate;
  }
  return { go: true };
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

/** `GET /api/credentials/:id/backlog`: the credential's messages held for its rate. */
export async function rateBacklog(db: Kysely<Database>, credentialId: string) {
  const { rows } = await sql<{ queued: number; oldest: Date | null }>`
    select count(*)::int as queued, min(created_at) as oldest from messages
    where credential_id = ${credentialId} and status = 'queued' and rate_slot_at is not null
      and rate_sent_at is null`.execute(db);
  return { queued: rows[0]?.queued ?? 0, oldestQueuedAt: rows[0]?.oldest ? new Date(rows[0].oldest) : null };
}
