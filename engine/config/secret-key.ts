import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Config, ConfigError } from './config.js';

/**
 * The keys of one purpose: `current` signs and encrypts everything new; `previous` is only
 * tried, in order, after it, to verify and decrypt what older keys made.
 */
export interface KeyRing {
  readonly current: Buffer;
  readonly previous: readonly Buffer[];
}

/**
 * One key per purpose, each derived by HKDF-SHA256 from the root secret, so that a value made
 * for one purpose (an unsubscribe token, say) never verifies for another (a click).
 */
export interface SecretKeys {
  /** AES-256-GCM key of stored credentials. */
  readonly credentials: KeyRing;
  /** HMAC keys of the tokens in click, open and unsubscribe links. */
  readonly click: KeyRing;
  readonly open: KeyRing;
  readonly unsubscribe: KeyRing;
  /** HMAC keys of the tokens in reply (`reply+…`) and bounce (`bounce+…`) addresses. */
  readonly reply: KeyRing;
  readonly bounce: KeyRing;
  /** HMAC key of preview links (they redirect and record nothing) and of form confirmation links. */
  readonly preview: KeyRing;
  readonly form: KeyRing;
  /** HMAC key of the hashes an erasure record keeps. */
  readonly erasure: KeyRing;
}

export type KeyPurpose = keyof SecretKeys;

const PURPOSES: readonly KeyPurpose[] = [
  'credentials',
  'click',
  'open',
  'unsubscribe',
  'reply',
  'bounce',
  'erasure',
  'preview',
  'form',
];

/**
 * Purposes whose values were made, before keys were split, with the root key itself: links in
 * sent emails, reply and bounce addresses, stored credentials. The root keys stay accepted for
 * them (after the derived keys), never used for anything new. Erasure hashes are never
 * compared again, so they take the derived key only. (API tokens and live-feed tickets are
 * random values stored hashed: they need no key.)
 */
const LEGACY_PURPOSES: ReadonlySet<KeyPurpose> = new Set([
  'credentials',
  'click',
  'open',
  'unsubscribe',
  'reply',
  'bounce',
]);

const SALT = Buffer.from('waymark secret keys');
const KEY_BYTES = 32;

function derive(root: Buffer, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', root, SALT, `waymark/v1/${purpose}`, KEY_BYTES));
}

/** The root key of a `WAYMARK_SECRET_KEY` value: what it has always been, its SHA-256. */
function rootOfText(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/**
 * Splits root keys into the per-purpose key set. `roots[0]` is the current root; the others
 * (the previous key's) are only accepted.
 *
 * @example
 * const keys = deriveSecretKeys([currentRoot, previousRoot]);
 * signToken(keys, 'c', { messageId, index: 0 }); // signed with keys.click.current
 */
export function deriveSecretKeys(roots: readonly [Buffer, ...Buffer[]]): SecretKeys {
  const ring = (purpose: KeyPurpose): KeyRing => {
    const [current, ...older] = roots.map((root) => derive(root, purpose)) as [Buffer, ...Buffer[]];
    const legacy = LEGACY_PURPOSES.has(purpose) ? roots : [];
    return { current, previous: [...older, ...legacy] };
  };
  return Object.fromEntries(PURPOSES.map((purpose) => [purpose, ring(purpose)])) as unknown as SecretKeys;
}

/** Every key of a ring, in the order to try them: current first. */
export function keysOf(ring: KeyRing): readonly Buffer[] {
  return [ring.current, ...ring.previous];
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

async function readKeyFile(file: string): Promise<Buffer> {
  const text = (await readFile(file, 'utf8')).trim();
  const key = Buffer.from(text, 'base64');
  if (!BASE64.test(text) || key.length !== KEY_BYTES) {
    throw new ConfigError(
      file,
      `must hold a ${KEY_BYTES}-byte key in base64 (it holds ${BASE64.test(text) ? `${key.length} bytes` : 'something else'}). ` +
        'Restore the file from a backup, or set WAYMARK_SECRET_KEY',
    );
  }
  return key;
}

/** The generated root key in `<dataDir>/secret.key`, created on first use. */
async function fileRoot(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, 'secret.key');
  try {
    return await readKeyFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true });
  // `wx` refuses to overwrite: two processes starting at once keep the first key.
  await writeFile(file, randomBytes(KEY_BYTES).toString('base64'), { mode: 0o600, flag: 'wx' }).catch((error) => {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  });
  return readKeyFile(file);
}

/**
 * The key set that encrypts credentials and signs links and addresses: derived from
 * `WAYMARK_SECRET_KEY`, else from the key read from (or generated into)
 * `<dataDir>/secret.key`; `WAYMARK_SECRET_KEY_PREVIOUS` adds the previous key's, accepted
 * but never used for anything new.
 */
export async function resolveSecretKeys(config: Config): Promise<SecretKeys> {
  const current = config.secretKey !== null ? rootOfText(config.secretKey) : await fileRoot(config.dataDir);
  const previous = config.secretKeyPrevious !== null ? [rootOfText(config.secretKeyPrevious)] : [];
  return deriveSecretKeys([current, ...previous.filter((root) => !root.equals(current))]);
}
