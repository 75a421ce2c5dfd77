import { createHash, createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../engine/config/config.js';
import { deriveSecretKeys, keysOf, resolveSecretKeys } from '../../engine/config/secret-key.js';
import { encryptJson } from '../../engine/credentials/crypto.js';
import { createCredentialsService } from '../../engine/credentials/service.js';
import { DatabaseHealth } from '../../engine/health.js';
import { bounceAddress, inboundAddress, replyAddress } from '../../engine/inbound/addresses.js';
import { sendMarketingEmail, stepScope } from '../channels/scope.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

const KEY_A = 'rotation-key-A-0123456789abcdef';
const KEY_B = 'rotation-key-B-0123456789abcdef';
const DOMAIN = 'in.example.com';
const SMTP = { host: 'smtp.example.com', port: 587, user: 'u', password: 'hunter2-secret' };

let database: TestDatabase;
const folders: string[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** Starts Waymark on the shared database with these secret keys, as a restart would. */
async function withWaymark<T>(
  keys: { current: string; previous?: string },
  fn: (t: TestApp) => Promise<T>,
): Promise<T> {
  const env: Record<string, string> = {
    PUBLIC_URL: 'https://w.example.com',
    INBOUND_EMAIL_DOMAIN: DOMAIN,
    WAYMARK_SECRET_KEY: keys.current,
  };
  if (keys.previous) env.WAYMARK_SECRET_KEY_PREVIOUS = keys.previous;
  const t = await createTestApp(env, { database });
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}

async function storeCredential(t: TestApp): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: t.auth,
    payload: { name: 'smtp', type: 'email.smtp', data: SMTP },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

const readCredential = async (t: TestApp, id: string) =>
  createCredentialsService(await stepScope(t.runtime), ['email.smtp']).get(id);

const status = async (t: TestApp, url: string) => (await t.app.inject({ method: 'GET', url })).statusCode;

describe('an outsider may not use a link, address or credential under a key that is no longer accepted', () => {
  test('a tracking link made under key A works after a restart with key B and WAYMARK_SECRET_KEY_PREVIOUS=A, and not without it', async () => {
    const sent = await withWaymark({ current: KEY_A }, async (t) => {
      const email = await sendMarketingEmail(t.runtime);
      expect(await status(t, email.click)).toBe(302);
      return email;
    });
    await withWaymark({ current: KEY_B }, async (t) => {
      expect(await status(t, sent.click)).toBe(404);
      expect(await status(t, sent.open)).toBe(404);
      expect(await status(t, sent.unsubscribe)).toBe(404);
    });
    await withWaymark({ current: KEY_B, previous: KEY_A }, async (t) => {
      const res = await t.app.inject({ method: 'GET', url: sent.click });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe('https://shop.example.com/a');
      expect(await status(t, sent.open)).toBe(200);
      expect(await status(t, sent.unsubscribe)).toBe(200);
      // What is made now is signed with B alone.
      const fresh = await sendMarketingEmail(t.runtime);
      expect(fresh.click).not.toBe(sent.click);
      await withWaymark({ current: KEY_B }, async (b) => expect(await status(b, fresh.click)).toBe(302));
    });
  }, 120_000);

  test('a reply or bounce address made under key A names its message after the rotation, and not without A', async () => {
    const messageId = randomUUID();
    const [reply, bounce] = await withWaymark({ current: KEY_A }, async (t) => [
      replyAddress(t.runtime.keys, messageId, DOMAIN),
      bounceAddress(t.runtime.keys, messageId, DOMAIN),
    ]);
    await withWaymark({ current: KEY_B, previous: KEY_A }, async (t) => {
      expect(inboundAddress(reply as string, DOMAIN, t.runtime.keys)).toEqual({ kind: 'reply', messageId });
      expect(inboundAddress(bounce as string, DOMAIN, t.runtime.keys)).toEqual({ kind: 'bounce', messageId });
    });
    await withWaymark({ current: KEY_B }, async (t) => {
      expect(inboundAddress(reply as string, DOMAIN, t.runtime.keys)?.messageId).toBeNull();
      expect(inboundAddress(bounce as string, DOMAIN, t.runtime.keys)?.messageId).toBeNull();
    });
  }, 120_000);

  test('a credential stored under key A is read after a restart with B and PREVIOUS=A, not with B alone, and is then re-encrypted under B', async () => {
    const id = await withWaymark({ current: KEY_A }, async (t) => {
      const stored = await storeCredential(t);
      expect(await readCredential(t, stored)).toMatchObject(SMTP);
      return stored;
    });
    await withWaymark({ current: KEY_B }, async (t) => {
      await expect(readCredential(t, id)).rejects.toThrow(/cannot be decrypted with this WAYMARK_SECRET_KEY/);
    });
    await withWaymark({ current: KEY_B, previous: KEY_A }, async (t) => {
      expect(await readCredential(t, id)).toMatchObject(SMTP);
    });
    // That start re-encrypted it: the rotation can end.
    await withWaymark({ current: KEY_B }, async (t) => {
      expect(await readCredential(t, id)).toMatchObject(SMTP);
    });
    await withWaymark({ current: KEY_A }, async (t) => {
      await expect(readCredential(t, id)).rejects.toThrow(/cannot be decrypted/);
    });
  }, 120_000);
});

describe('an outsider may not present a token for another purpose than it was made for', () => {
  test('an unsubscribe, open or click token is refused as any other kind', async () => {
    await withWaymark({ current: KEY_A }, async (t) => {
      const sent = await sendMarketingEmail(t.runtime);
      const token = (p: string) => p.split('/').pop() as string;
      const [click, open, unsubscribe] = [token(sent.click), token(sent.open), token(sent.unsubscribe)];
      // An unsubscribe token as a click (with a link index added so it has a click's shape), or an open.
      const [hex, sig] = unsubscribe.split('.');
      expect(await status(t, `/t/c/${hex}.0.${sig}`)).toBe(404);
      expect(await status(t, `/t/o/${unsubscribe}`)).toBe(404);
      // An open token as an unsubscribe, a click token's signature as an open or unsubscribe.
      expect(await status(t, `/unsubscribe/${open}`)).toBe(404);
      const clickSig = click.split('.')[2];
      expect(await status(t, `/t/o/${hex}.${clickSig}`)).toBe(404);
      expect(await status(t, `/unsubscribe/${hex}.${clickSig}`)).toBe(404);
      const posted = await t.app.inject({
        method: 'POST',
        url: `/unsubscribe/${open}`,
        payload: 'List-Unsubscribe=One-Click',
      });
      expect(posted.statusCode).toBe(404);
      const consent = await t.runtime.db
        .selectFrom('contacts')
        .select('consent')
        .where('id', '=', sent.contactId)
        .executeTakeFirstOrThrow();
      expect(JSON.stringify(consent.consent)).not.toContain('unsubscribed');
      // Each presented as what it is works.
      expect(await status(t, sent.click)).toBe(302);
      expect(await status(t, sent.open)).toBe(200);
      expect(await status(t, sent.unsubscribe)).toBe(200);
    });
  });

  test('a reply address token is no bounce token, nor the other way round', async () => {
    await withWaymark({ current: KEY_A }, async (t) => {
      const messageId = randomUUID();
      const replyToken = replyAddress(t.runtime.keys, messageId, DOMAIN).slice('reply+'.length).split('@')[0];
      const bounceToken = bounceAddress(t.runtime.keys, messageId, DOMAIN).slice('bounce+'.length).split('@')[0];
      expect(inboundAddress(`bounce+${replyToken}@${DOMAIN}`, DOMAIN, t.runtime.keys)?.messageId).toBeNull();
      expect(inboundAddress(`reply+${bounceToken}@${DOMAIN}`, DOMAIN, t.runtime.keys)?.messageId).toBeNull();
    });
  });

  test('every purpose has its own key, none of them the secret itself', () => {
    const root = createHash('sha256').update(KEY_A).digest();
    const keys = deriveSecretKeys([root]);
    const currents = Object.values(keys).map((ring) => ring.current.toString('hex'));
    expect(currents).toHaveLength(9);
    expect(new Set(currents).size).toBe(currents.length);
    expect(currents).not.toContain(root.toString('hex'));
    for (const ring of Object.values(keys)) expect(ring.current).toHaveLength(32);
    // Erasure hashes never accept the undivided key (nothing made with it is compared again).
    expect(keysOf(keys.erasure).map((k) => k.toString('hex'))).not.toContain(root.toString('hex'));
  });
});

describe('what earlier versions made with the undivided key keeps working after the upgrade', () => {
  test('links in sent emails and stored credentials still work; the credential is re-encrypted under the derived key', async () => {
    const root = createHash('sha256').update(KEY_A).digest();
    // As versions before the split signed and encrypted: HMAC and AES with the root key itself.
    const legacyToken = (kind: string, body: string) =>
      `${body}.${createHmac('sha256', root).update(`${kind}:${body}`).digest('base64url').slice(0, 22)}`;
    const sent = await withWaymark({ current: KEY_A }, (t) => sendMarketingEmail(t.runtime));
    const hex = sent.messageId.replace(/-/g, '');
    const legacy = {
      click: `/t/c/${legacyToken('c', `${hex}.0`)}`,
      open: `/t/o/${legacyToken('o', hex)}`,
      unsubscribe: `/unsubscribe/${legacyToken('u', hex)}`,
    };
    expect(legacy.click).not.toBe(sent.click);
    const stored = encryptJson({ current: root, previous: [] }, SMTP);
    const [row] = await withWaymark({ current: KEY_A }, (t) =>
      t.runtime.db
        .insertInto('credentials')
        .values({
          workspace_id: sql`(select id from workspaces where is_default)`,
          name: 'old',
          type: 'email.smtp',
          data_encrypted: stored,
        })
        .returning('id')
        .execute(),
    );
    const id = row?.id as string;

    await withWaymark({ current: KEY_A }, async (t) => {
      expect(await status(t, legacy.click)).toBe(302);
      expect(await status(t, legacy.open)).toBe(200);
      expect(await status(t, legacy.unsubscribe)).toBe(200);
      expect(inboundAddress(`reply+${legacyToken('r', hex)}@${DOMAIN}`, DOMAIN, t.runtime.keys)?.messageId).toBe(
        sent.messageId,
      );
      expect(await readCredential(t, id)).toMatchObject(SMTP);
      const now = await t.runtime.db
        .selectFrom('credentials')
        .select('data_encrypted')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(now.data_encrypted).not.toBe(stored);
    });
    // An undivided-key link is still no token of another kind.
    await withWaymark({ current: KEY_A }, async (t) => {
      expect(await status(t, `/t/o/${legacyToken('u', hex)}`)).toBe(404);
    });
    // A rotation also retires the undivided key of the old secret once PREVIOUS is dropped.
    await withWaymark({ current: KEY_B }, async (t) => expect(await status(t, legacy.click)).toBe(404));
    await withWaymark({ current: KEY_B, previous: KEY_A }, async (t) =>
      expect(await status(t, legacy.click)).toBe(302),
    );
  }, 120_000);
});

describe('an outsider may not weaken the secret key', () => {
  function dataDir(): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'waymark-key-'));
    folders.push(dir);
    return dir;
  }

  test('WAYMARK_SECRET_KEY and WAYMARK_SECRET_KEY_PREVIOUS shorter than 16 characters stop start-up', () => {
    expect(() => loadConfig({ WAYMARK_SECRET_KEY: 'short' })).toThrow(/WAYMARK_SECRET_KEY: must be at least 16/);
    expect(() => loadConfig({ WAYMARK_SECRET_KEY: KEY_B, WAYMARK_SECRET_KEY_PREVIOUS: 'short' })).toThrow(
      /WAYMARK_SECRET_KEY_PREVIOUS: must be at least 16/,
    );
  });

  test('a generated key file is 32 random bytes, mode 0600, and the same for processes starting at once', async () => {
    const dir = dataDir();
    const config = loadConfig({ WAYMARK_DATA_DIR: dir });
    const [one, two] = await Promise.all([resolveSecretKeys(config), resolveSecretKeys(config)]);
    const file = path.join(dir, 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8'), 'base64')).toHaveLength(32);
    expect(one?.click.current.equals(two?.click.current as Buffer)).toBe(true);
    const again = await resolveSecretKeys(config);
    expect(again.credentials.current.equals(one?.credentials.current as Buffer)).toBe(true);
  });

  test('a key file that does not hold 32 bytes stops start-up with an error naming the file', async () => {
    for (const content of [Buffer.alloc(16, 1).toString('base64'), 'not base64 at all!', '']) {
      const dir = dataDir();
      const file = path.join(dir, 'secret.key');
      writeFileSync(file, content, { mode: 0o600 });
      const error = await resolveSecretKeys(loadConfig({ WAYMARK_DATA_DIR: dir })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(file);
      expect(readFileSync(file, 'utf8')).toBe(content);
    }
  });
});

describe('an outsider may not learn why the database is unreachable', () => {
  test('/healthz says "database unreachable" and nothing of the error', async () => {
    await withWaymark({ current: KEY_A }, async (t) => {
      const wrong = new URL(database.url);
      wrong.username = 'waymark_probe_user';
      wrong.password = 'wrong-password';
      const health = new DatabaseHealth(wrong.toString(), 60_000);
      expect(await health.check()).toBe(false);
      const real = t.runtime.health;
      t.runtime.health = health;
      try {
        const res = await t.app.inject({ method: 'GET', url: '/healthz' });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toEqual({ ok: false, reason: 'database unreachable' });
        expect(res.body).not.toMatch(/waymark_probe_user|password|authentication|role|ECONNREFUSED/i);
      } finally {
        t.runtime.health = real;
        await health.stop();
      }
    });
  });
});
