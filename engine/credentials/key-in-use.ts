import { createHmac } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { KeyRing } from '../config/secret-key.js';
import type { Database } from '../db/database.js';

/** Tells one key from another and reveals nothing of it. */
function fingerprint(key: Buffer): string {
  return createHmac('sha256', key).update('waymark secret key fingerprint').digest('hex').slice(0, 32);
}

/** How the key a process starts with compares to the one the database was last used with. */
export type KeyInUse = 'first' | 'same' | 'rotated' | 'changed';

/**
 * Compares the current secret key (`ring.current`) with the one this database was last used
 * with and records the current one. A change that is not a rotation (the old key is not
 * `WAYMARK_SECRET_KEY_PREVIOUS`) is logged as an error: links in mail already sent
 * (unsubscribe among them), reply and bounce addresses and form confirmations made under the
 * old key no longer verify, and its credentials no longer decrypt. Said once: the next start
 * with the same key is quiet.
 *
 * @example
 * await checkKeyInUse(db, keys.credentials, logger); // 'changed': an error line at start
 */
export async function checkKeyInUse(db: Kysely<Database>, ring: KeyRing, logger: Logger): Promise<KeyInUse> {
  const current = fingerprint(ring.current);
  const recorded = await db.selectFrom('secret_key_in_use').select(['fingerprint', 'since']).executeTakeFirst();
  if (recorded?.fingerprint === current) return 'same';
  const state: KeyInUse = !recorded
    ? 'first'
    : ring.previous.some((key) => fingerprint(key) === recorded.fingerprint)
      ? 'rotated'
      : 'changed';
  if (recorded && state === 'changed') {
    logger.error(
      { keyInUseSince: recorded.since },
      'WAYMARK_SECRET_KEY is not the key this database was used with, and the old one is not WAYMARK_SECRET_KEY_PREVIOUS: ' +
        'unsubscribe, click and open links in mail already sent, reply and bounce addresses and form confirmation links ' +
        'made under the old key no longer verify, and credentials saved under it no longer decrypt. ' +
        'Set WAYMARK_SECRET_KEY back, or set WAYMARK_SECRET_KEY_PREVIOUS to the old key',
    );
  }
  await sql`
    insert into secret_key_in_use (fingerprint) values (${current})
    on conflict (only_row) do update set fingerprint = excluded.fingerprint, since = now()
  `.execute(db);
  return state;
}
