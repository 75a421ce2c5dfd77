import type { PreparedMessage, SendRequest } from '@waymark/sdk';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMessagesService } from '../../../engine/messages/service.js';
import { rateBacklog } from '../../../engine/sending/send-rate.js';
import { closeSmtpPools } from '../../../nodes/email/src/smtp-pools.js';
import { eventsOf, insertContact, mailThrough, stepScope } from '../../channels/scope.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { defaultWorkspace, makeUser, signIn } from '../../teams/support.js';
import { type RawSmtpServer, startRawSmtpServer } from '../smtp-server.js';

/**
 * Sending in two workspaces, A (the default, the environment token) and B (its own admin
 * token): DKIM keys, sending credentials, send-rate backlogs and provider events stay in
 * the workspace of their credential.
 */
let t: TestApp;
let A: string;
let B: string;
let aAuth: Record<string, string>;
let bAuth: Record<string, string>;
let smtp: RawSmtpServer;

beforeAll(async () => {
  smtp = await startRawSmtpServer();
  t = await createTestApp();
  A = await defaultWorkspace(t.runtime.db);
  aAuth = t.auth;
  await makeUser(t.runtime.db, 'owner@example.com', A, 'owner');
  const owner = await signIn(t.app, 'owner@example.com');
  const made = await t.app.inject({
    method: 'POST',
    url: '/api/workspaces',
    headers: owner.headers,
    payload: { name: 'B' },
  });
  B = made.json().id;
  const token = await t.app.inject({
    method: 'POST',
    url: '/api/tokens',
    headers: { ...owner.headers, 'x-waymark-workspace': B },
    payload: { name: 'b', scopes: ['admin'] },
  });
  bAuth = { authorization: `Bearer ${token.json().token}` };
}, 60_000);
afterAll(async () => {
  closeSmtpPools();
  await t?.close();
  await smtp?.close();
});

async function credential(as: Record<string, string>, type: string, data: Record<string, unknown>) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: as,
    payload: { name: type, type, data },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const get = (as: Record<string, string>, url: string) => t.app.inject({ method: 'GET', url, headers: as });

/** A contact of workspace B. */
async function contactInB(email: string): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into contacts (workspace_id, email) values (${B}, ${email}) returning id`.execute(t.runtime.db);
  return rows[0]?.id as string;
}

/** Sends one email as a step of `workspaceId`, handing the prepared message to `seen`. */
async function send(workspaceId: string, contactId: string, from: string, extra: Partial<SendRequest> = {}) {
  let seen: PreparedMessage | null = null;
  const scope = await stepScope(t.runtime, { workspaceId, contactId });
  const result = await createMessagesService(scope).send({
    channel: 'email',
    category: 'transactional',
    from,
    subject: 'Hi',
    html: '<p>Hi</p>',
    deliver: async (message) => {
      seen = message;
      return { providerId: `p-${contactId}` };
    },
    ...extra,
  });
  return { result, seen: seen as PreparedMessage | null };
}

describe('DKIM keys belong to a workspace', () => {
  test('each workspace keys the same domain with its own key and lists only its own', async () => {
    const aKey = await credential(aAuth, 'email.dkim', { domain: 'shop.example.com', selector: 'a-sel' });
    const bKey = await credential(bAuth, 'email.dkim', { domain: 'Shop.example.com', selector: 'b-sel' });
    await credential(aAuth, 'email.dkim', { domain: 'only-a.example.com' });

    const bList = (await get(bAuth, '/api/settings/dkim')).json();
    expect(bList.domains).toEqual([{ domain: 'shop.example.com', selector: 'b-sel', credentialId: bKey }]);
    const bRecord = await get(bAuth, '/api/settings/dkim/shop.example.com');
    expect(bRecord.json()).toMatchObject({ credentialId: bKey, record: { name: 'b-sel._domainkey.shop.example.com' } });
    const aRecord = await get(aAuth, '/api/settings/dkim/shop.example.com');
    expect(aRecord.json()).toMatchObject({ credentialId: aKey, record: { name: 'a-sel._domainkey.shop.example.com' } });
    expect(aRecord.json().record.value).not.toBe(bRecord.json().record.value);

    const other = await get(bAuth, '/api/settings/dkim/only-a.example.com');
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('not_found');
  });

  test('a second key for a domain in the same workspace is still refused', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/credentials',
      headers: bAuth,
      payload: { name: 'again', type: 'email.dkim', data: { domain: 'shop.example.com' } },
    });
    expect(res.statusCode).toBe(409);
  });

  test("a step signs with its own workspace's key, and not with another workspace's", async () => {
    const bContact = await contactInB('reader@example.org');
    const signed = await send(B, bContact, 'Shop <news@shop.example.com>');
    expect(signed.result.status).toBe('sent');
    expect(signed.seen?.dkim).toMatchObject({ domainName: 'shop.example.com', keySelector: 'b-sel' });

    const unsigned = await send(B, bContact, 'A only <news@only-a.example.com>');
    expect(unsigned.seen?.dkim).toBeUndefined();

    const aContact = await insertContact(t.runtime, { email: 'reader@example.org' });
    const inA = await send(A, aContact, 'Shop <news@shop.example.com>');
    expect(inA.seen?.dkim).toMatchObject({ keySelector: 'a-sel' });
  });
});

describe('sending credentials belong to a workspace', () => {
  test("a step of B cannot send through A's credential", async () => {
    const aSmtp = await credential(aAuth, 'email.smtp', { host: '127.0.0.1', port: 2525, secure: false });
    const bContact = await contactInB('someone@example.org');
    await expect(
      createMessagesService(await stepScope(t.runtime, { workspaceId: B, contactId: bContact })).send({
        channel: 'email',
        category: 'transactional',
        from: 'b@example.com',
        subject: 'Hi',
        html: '<p>Hi</p>',
        credential: aSmtp,
      }),
    ).rejects.toThrow(/does not exist or is no email sending credential/);
  });

  test("A's credential's backlog is 404 to B, as an unknown one", async () => {
    const aSmtp = await credential(aAuth, 'email.smtp', { host: '127.0.0.1', port: 2525, maxPerSecond: 5 });
    expect((await get(aAuth, `/api/credentials/${aSmtp}/backlog`)).json()).toMatchObject({
      maxPerSecond: 5,
      queued: 0,
    });
    const res = await get(bAuth, `/api/credentials/${aSmtp}/backlog`);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });

  test("the backlog query itself counts only the asking workspace's messages: A's held mail is not B's", async () => {
    const aSmtp = await credential(aAuth, 'email.smtp', {
      host: smtp.host,
      port: smtp.port,
      requireTLS: false,
      maxPerSecond: 1,
    });
    const [first, second] = await Promise.all([
      insertContact(t.runtime, { email: 'held1@example.org' }),
      insertContact(t.runtime, { email: 'held2@example.org' }),
    ]);
    expect(await mailThrough(t.runtime, first as string, aSmtp)).toMatchObject({ status: 'sent' });
    expect(await mailThrough(t.runtime, second as string, aSmtp)).toMatchObject({ status: 'delayed' });
    expect(await rateBacklog(t.runtime.db, A, aSmtp)).toMatchObject({ queued: 1 });
    expect(await rateBacklog(t.runtime.db, B, aSmtp)).toEqual({ queued: 0, oldestQueuedAt: null });
  });
});

describe('provider events act in the workspace of the credential that verified them', () => {
  const login = (user: string) => ({
    'content-type': 'application/json',
    authorization: `Basic ${Buffer.from(`${user}:pass-${user}`).toString('base64')}`,
  });
  /** A Postmark bounce record (postmarkapp.com/developer/webhooks/bounce-webhook), trimmed. */
  const bounce = (id: number, email: string, providerId: string, waymark: string) =>
    JSON.stringify({
      RecordType: 'Bounce',
      ID: id,
      Type: 'HardBounce',
      TypeCode: 1,
      MessageID: providerId,
      Metadata: { waymark_message: waymark },
      Email: email,
      BouncedAt: '2019-11-05T16:33:54.9070259Z',
    });
  const post = (user: string, body: string) =>
    t.app.inject({ method: 'POST', url: '/hooks/providers/postmark', headers: login(user), payload: body });

  beforeAll(async () => {
    await credential(aAuth, 'postmark.server', { serverToken: 'a', webhookUsername: 'a', webhookPassword: 'pass-a' });
    await credential(bAuth, 'postmark.server', { serverToken: 'b', webhookUsername: 'b', webhookPassword: 'pass-b' });
  });

  test("B's login naming A's message, provider id or contact matches nothing", async () => {
    const aContact = await insertContact(t.runtime, { email: 'bounced@example.org' });
    const { result } = await send(A, aContact, 'a@example.com');
    const res = await post('b', bounce(1001, 'bounced@example.org', `p-${aContact}`, result.messageId));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ recorded: 0, duplicates: 0, unmatched: 1, ignored: 0 });
    expect(await eventsOf(t.runtime, aContact, 'email.bounced')).toEqual([]);
    const suppressed = await t.runtime.db
      .selectFrom('email_suppressions')
      .select('id')
      .where('address', '=', 'bounced@example.org')
      .execute();
    expect(suppressed).toEqual([]);
  });

  test("A's login records the same bounce on A's contact, suppressed in A only", async () => {
    const aContact = await insertContact(t.runtime, { email: 'twice@example.org' });
    const bContact = await contactInB('twice@example.org');
    const { result } = await send(A, aContact, 'a@example.com');
    const res = await post('a', bounce(1002, 'twice@example.org', `p-${aContact}`, result.messageId));
    expect(res.json()).toEqual({ recorded: 1, duplicates: 0, unmatched: 0, ignored: 0 });
    expect(await eventsOf(t.runtime, aContact, 'email.bounced')).toHaveLength(1);
    expect(await eventsOf(t.runtime, bContact, 'email.bounced')).toEqual([]);
    const suppressions = await t.runtime.db
      .selectFrom('email_suppressions')
      .select('workspace_id')
      .where('address', '=', 'twice@example.org')
      .execute();
    expect(suppressions).toEqual([{ workspace_id: A }]);
    const bSend = await send(B, bContact, 'b@example.com');
    expect(bSend.result.status).toBe('sent');
  });

  test("B's login with only a recipient finds B's contact, not A's", async () => {
    const aContact = await insertContact(t.runtime, { email: 'both@example.org' });
    const bContact = await contactInB('both@example.org');
    const res = await post(
      'b',
      bounce(1003, 'both@example.org', 'unknown-provider-id', '00000000-0000-4000-8000-000000000000'),
    );
    expect(res.json()).toEqual({ recorded: 1, duplicates: 0, unmatched: 0, ignored: 0 });
    expect(await eventsOf(t.runtime, bContact, 'email.bounced')).toHaveLength(1);
    expect(await eventsOf(t.runtime, aContact, 'email.bounced')).toEqual([]);
  });
});
