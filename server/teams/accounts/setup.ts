import type { Kysely } from 'kysely';
import type { Database } from '../../../engine/db/database.js';
import { defaultWorkspaceId, hasOwner, newSecret, sha256 } from './users.js';

const SETUP_HOURS = 24;

/**
 * While the default workspace has no owner, makes a one-time setup code (valid 24 h, stored
 * as a hash) and answers the link to print; null once there is an owner.
 */
export async function ensureSetupLink(db: Kysely<Database>, publicUrl: string): Promise<string | null> {
  if (await hasOwner(db, await defaultWorkspaceId(db))) return null;
  const code = newSecret();
  await db
    .insertInto('setup_codes')
    .values({ code_hash: sha256(code), expires_at: new Date(Date.now() + SETUP_HOURS * 3600_000) })
    .execute();
  return `${publicUrl}/setup/${code}`;
}

/**
 * Whether a setup code is one that works now (not used up): asked before the password is
 * hashed, so a guessed code costs no hash. `redeemSetupCode` still decides, in its transaction.
 */
export async function setupCodeValid(db: Kysely<Database>, code: string): Promise<boolean> {
  const row = await db
    .selectFrom('setup_codes')
    .select('code_hash')
    .where('code_hash', '=', sha256(code))
    .where('expires_at', '>', new Date())
    .executeTakeFirst();
  return Boolean(row);
}

/** Uses up a setup code inside the caller's transaction: true when it was valid. */
export async function redeemSetupCode(trx: Kysely<Database>, code: string): Promise<boolean> {
  const row = await trx
    .deleteFrom('setup_codes')
    .where('code_hash', '=', sha256(code))
    .where('expires_at', '>', new Date())
    .returning('code_hash')
    .executeTakeFirst();
  return Boolean(row);
}
