import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ConflictError, type JsonObject, type PreparedMessage, ValidationError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { KeyRing } from '../config/secret-key.js';
import { decryptJson } from '../credentials/crypto.js';
import type { Database } from '../db/database.js';

/** The credential type holding a sending domain's DKIM key. */
export const DKIM_TYPE = 'email.dkim';
export const DEFAULT_SELECTOR = 'waymark';

/** One domain's stored DKIM key. */
export interface DkimKey {
  credentialId: string;
  domain: string;
  selector: string;
  privateKey: string;
}

const invalidKey = (message: string) =>
  new ValidationError(`privateKey ${message}`, [{ path: '/data/privateKey', message: `/data/privateKey ${message}` }]);

function rsaKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw invalidKey('is not a PEM private key (PKCS#1 or PKCS#8)');
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa') throw invalidKey(`is a ${key.asymmetricKeyType} key; DKIM here needs RSA`);
  if (bits < 1024 || bits > 4096) throw invalidKey(`has ${bits} bits; 1024 to 4096 are accepted`);
  return key;
}

// RFC 1123 labels. The credential schema's `format: hostname` (ajv) also lets a trailing dot
// through, DNS's absolute form: "example.com." would then be a second key for example.com.
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * A sending domain as DKIM keys are stored, listed, looked up and compared: lower-cased. One
 * that is not a hostname (a trailing dot included) → `ValidationError` at `path`.
 *
 * @example
 * dkimDomain('Example.COM', '/data/domain') // 'example.com'
 * dkimDomain('example.com.', '/domain')     // throws: /domain must be a hostname, without a trailing dot
 */
export function dkimDomain(text: string, path: string): string {
  if (!HOSTNAME.test(text)) {
    throw new ValidationError(`${text} is not a hostname`, [
      { path, message: `${path} must be a hostname, without a trailing dot` },
    ]);
  }
  return text.toLowerCase();
}

/**
 * An `email.dkim` credential's data as stored: the domain lower-cased, the selector defaulted,
 * a 2048-bit key generated when none was given, a given key checked (RSA, 1024–4096 bits).
 */
export function completeDkimData(data: JsonObject): JsonObject {
  const given = typeof data.privateKey === 'string' ? data.privateKey : null;
  if (given) rsaKey(given);
  const privateKey =
    given ??
    generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    domain: dkimDomain(String(data.domain), '/data/domain'),
    selector: typeof data.selector === 'string' ? data.selector : DEFAULT_SELECTOR,
    privateKey,
  };
}

/** The workspace's DKIM keys, by credential; a row no key decrypts is left out. */
export async function loadDkimKeys(db: Kysely<Database>, workspaceId: string, ring: KeyRing): Promise<DkimKey[]> {
  const rows = await db
    .selectFrom('credentials')
    .select(['id', 'data_encrypted'])
    .where('workspace_id', '=', workspaceId)
    .where('type', '=', DKIM_TYPE)
    .orderBy('created_at')
    .execute();
  const keys: DkimKey[] = [];
  for (const row of rows) {
    let data: JsonObject;
    try {
      data = decryptJson(ring, row.data_encrypted);
    } catch {
      continue;
    }
    keys.push({
      credentialId: row.id,
      domain: String(data.domain),
      selector: String(data.selector ?? DEFAULT_SELECTOR),
      privateKey: String(data.privateKey),
    });
  }
  return keys;
}

/**
 * Refuses a second key for a domain in a workspace (409 `conflict`); workspaces sign their own
 * mail, each with its own key (and selector). Takes a transaction-scoped lock first, so two
 * keys for one domain saved at once cannot both pass.
 */
export async function assertDomainFree(
  trx: Kysely<Database>,
  workspaceId: string,
  ring: KeyRing,
  domain: string,
  exceptId: string | null,
): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`${DKIM_TYPE}:${workspaceId}`}))`.execute(trx);
  const taken = (await loadDkimKeys(trx, workspaceId, ring)).find(
    (k) => k.domain === domain && k.credentialId !== exceptId,
  );
  if (taken) throw new ConflictError(`domain ${domain} already has a DKIM key (credential ${taken.credentialId})`);
}

/** The domain of a From address (`News <News@Example.com>` → `example.com`). */
export function fromDomain(from: string | undefined): string | null {
  const match = /@([^\s>@]+)>?\s*$/.exec(from ?? '');
  return match?.[1] ? match[1].toLowerCase() : null;
}

/**
 * Header fields a signature covers: the required ones (API.md "DKIM"), the one-click
 * unsubscribe pair (RFC 8058 §4) and the usual others. Absent fields are skipped by the signer.
 */
export const DKIM_SIGNED_HEADERS =
  'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:' +
  'Content-Transfer-Encoding:In-Reply-To:References:List-Id:List-Unsubscribe:List-Unsubscribe-Post';

/**
 * The signing key for the workspace's mail from `from`, when its domain has one in that
 * workspace; other domains are not signed.
 */
export async function dkimFor(
  db: Kysely<Database>,
  workspaceId: string,
  ring: KeyRing,
  from: string | undefined,
): Promise<PreparedMessage['dkim'] | undefined> {
  const domain = fromDomain(from);
  if (!domain) return undefined;
  const key = (await loadDkimKeys(db, workspaceId, ring)).find((k) => k.domain === domain);
  return key
    ? {
        domainName: key.domain,
        keySelector: key.selector,
        privateKey: key.privateKey,
        headerFieldNames: DKIM_SIGNED_HEADERS,
      }
    : undefined;
}

/** The DNS TXT record that publishes a key's public half (RFC 6376 §3.6.1). */
export function dkimRecord(key: DkimKey) {
  const spki = createPublicKey(key.privateKey).export({ type: 'spki', format: 'der' });
  return {
    name: `${key.selector}._domainkey.${key.domain}`,
    type: 'TXT' as const,
    value: `v=DKIM1; k=rsa; p=${spki.toString('base64')}`,
  };
}
