import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { KeyRing } from '../config/secret-key.js';
import type { Database } from '../db/database.js';
import { decryptJsonWithKey, encryptJson } from './crypto.js';

/**
 * Re-encrypts, under the current key, every stored credential that only an older key (the
 * previous `WAYMARK_SECRET_KEY`, or the undivided key of versions before keys were split)
 * decrypts, so that a rotation ends: once every process has started with the new key, the
 * previous one is no longer needed for credentials. A row changed meanwhile is left alone
 * (compare-and-swap); one that no key decrypts is left as it is, and counted in a warning
 * (also without a previous key: a key changed outright leaves them so). Answers how many changed.
 */
export async function reencryptCredentials(db: Kysely<Database>, ring: KeyRing, logger: Logger): Promise<number> {
  const rows = await db.selectFrom('credentials').select(['id', 'data_encrypted']).execute();
  let changed = 0;
  let unreadable = 0;
  for (const row of rows) {
    let decrypted: ReturnType<typeof decryptJsonWithKey>;
    try {
      decrypted = decryptJsonWithKey(ring, row.data_encrypted);
    } catch {
      unreadable++;
      continue;
    }
    if (decrypted.current) continue;
    const result = await db
      .updateTable('credentials')
      .set({ data_encrypted: encryptJson(ring, decrypted.data) })
      .where('id', '=', row.id)
      .where('data_encrypted', '=', row.data_encrypted)
      .executeTakeFirst();
    changed += Number(result.numUpdatedRows);
  }
  if (changed) logger.info({ credentials: changed }, 'credentials re-encrypted under the current secret key');
  if (unreadable)
    logger.warn(
      { credentials: unreadable },
      'credentials that no configured secret key decrypts (set WAYMARK_SECRET_KEY_PREVIOUS to the key they were made with)',
    );
  return changed;
}
