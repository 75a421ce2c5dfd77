import { parseDuration, RateLimitedError } from '@waymark/sdk';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { WebhookTarget } from './webhook.js';

/** A journey's `webhookRateLimit` setting: at most `max` calls per `window` (ISO 8601 duration). */
export interface WebhookRateLimit {
  max: number;
  window: string;
}

/** The row a hit yields: whether the call is over the limit, and when the window ends. */
export interface RateLimitRow {
  limited: boolean;
  retry_after: number;
}

const FALLBACK_WINDOW_MS = 60_000;
// A window may be thousands of years long (any ISO 8601 duration); the seconds left of it are
// told in Retry-After as an integer, so they stop at what one holds rather than overflow.
const MAX_RETRY_AFTER = 2_147_483_647;

/**
 * One call counted against a journey's webhook rate limit, as ONE upsert yielding one
 * `RateLimitRow`: a fixed window per journey, aligned to multiples of its length on the
 * database's clock, so every server process on the database counts into the same row.
 * Run it alone (`enforceWebhookRateLimit`) or embed it as a CTE of a larger statement
 * (`with rate as (${webhookRateHit(…)}) …`); outside a transaction its row lock lasts only the
 * statement. A call from a window that already ended counts against the newer one, so a race
 * at the boundary never restarts a window twice.
 *
 * @example
 * const { rows } = await webhookRateHit(journeyId, { max: 100, window: 'PT1M' }).execute(db);
 * // rows[0]: { limited: false, retry_after: 42 }
 */
export function webhookRateHit(journeyId: string, limit: WebhookRateLimit): RawBuilder<RateLimitRow> {
  const ms = parseDuration(limit.window);
  const seconds = (ms !== null && ms > 0 ? ms : FALLBACK_WINDOW_MS) / 1000;
  return sql<RateLimitRow>`
    insert into webhook_rate_windows as w (journey_id, window_start, hits)
    values (${journeyId}::uuid,
      to_timestamp(floor(extract(epoch from now())::float8 / ${seconds}::float8) * ${seconds}::float8), 1)
    on conflict (journey_id) do update
      set hits = case when excluded.window_start > w.window_start then 1 else w.hits + 1 end,
        window_start = greatest(w.window_start, excluded.window_start)
    returning w.hits > ${limit.max}::int as limited,
      least(${MAX_RETRY_AFTER}, greatest(1, ceil(extract(epoch from w.window_start)::float8 + ${seconds}::float8
        - extract(epoch from now())::float8)))::int as retry_after`;
}

/**
 * Counts a webhook call against its journey's `webhookRateLimit`, in one statement, and
 * throws RateLimitedError (429 `rate_limited`, `Retry-After`) when it is over. A journey
 * without a limit costs nothing. Holds across every server process on the database.
 *
 * @example
 * await enforceWebhookRateLimit(db, target); // after the secret check, before the run starts
 */
export async function enforceWebhookRateLimit(db: Kysely<Database>, target: WebhookTarget): Promise<void> {
  const limit = target.version.settings.webhookRateLimit;
  if (!limit) return;
  const { rows } = await webhookRateHit(target.journeyId, limit).execute(db);
  const row = rows[0];
  if (row?.limited) throw new RateLimitedError("the journey's webhook rate limit is reached", row.retry_after);
}
