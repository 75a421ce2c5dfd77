import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';

/** The sliding window a `maxPerSecond` counts in. */
const WINDOW_MS = 1000;

/** Whether a message may be handed over now, or when to ask again. */
export type RateGate = { go: true } | { go: false; until: Date };

const later = (at: Date, ms: number) => new Date(at.getTime() + ms);

/**
 * A credential's send rate, across every worker process (API.md "Send rates"): at most
 * `perSecond` messages handed over in any sliding second, in the order they were queued.
 * Under a per-credential advisory lock a message first reserves its slot — now, or one second
 * after the reservation `perSecond` places before it — so held messages keep their order;
 * when its slot has come it goes only if fewer than `perSecond` were really handed over in
 * the last second (a late wake-up cannot make a burst), and records its hand-over.
 */
export async function takeRateSlot(
  db: Kysely<Database>,
  credentialId: string,
  messageId: string,
  perSecond: number,
): Promise<RateGate> {
  const run = async (trx: Kysely<Database>): Promise<RateGate> => {
    await sql`select pg_advisory_xact_lock(hashtext(${`send-rate:${credentialId}`}))`.execute(trx);
    const { rows: own } = await sql<{ slot: Date | null; now: Date }>`
      select rate_slot_at as slot, clock_timestamp() as now from messages where id = ${messageId}`.execute(trx);
    const now = new Date(own[0]?.now ?? Date.now());
    let slot = own[0]?.slot ? new Date(own[0].slot) : null;
    if (!slot) {
      const { rows } = await sql<{ at: Date }>`
        select rate_slot_at as at from messages
        where credential_id = ${credentialId} and rate_slot_at is not null
        order by rate_slot_at desc offset ${perSecond - 1} limit 1`.execute(trx);
      const earliest = rows[0] ? later(new Date(rows[0].at), WINDOW_MS) : now;
      slot = earliest > now ? earliest : now;
      await sql`update messages set rate_slot_at = ${slot} where id = ${messageId}`.execute(trx);
    }
    if (slot > now) return { go: false, until: slot };
    const { rows: recent } = await sql<{ at: Date }>`
      select rate_sent_at as at from messages
      where credential_id = ${credentialId} and rate_sent_at > ${later(now, -WINDOW_MS)}
      order by rate_sent_at desc limit ${perSecond}`.execute(trx);
    const oldest = recent[perSecond - 1];
    if (oldest) return { go: false, until: later(new Date(oldest.at), WINDOW_MS) };
    await sql`update messages set rate_sent_at = ${now} where id = ${messageId}`.execute(trx);
    return { go: true };
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

/** `GET /api/credentials/:id/backlog`: the credential's messages held for its rate. */
export async function rateBacklog(db: Kysely<Database>, credentialId: string) {
  const { rows } = await sql<{ queued: number; oldest: Date | null }>`
    select count(*)::int as queued, min(created_at) as oldest from messages
    where credential_id = ${credentialId} and status = 'queued' and rate_slot_at is not null
      and rate_sent_at is null`.execute(db);
  return { queued: rows[0]?.queued ?? 0, oldestQueuedAt: rows[0]?.oldest ? new Date(rows[0].oldest) : null };
}
