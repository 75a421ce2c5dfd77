import { createHmac, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureSetupLink } from '../../../server/teams/accounts/setup.js';
import { pack, writePackage } from '../../packages/support.js';
import { type AnswerChecking, createAnswerCheckingApp } from './support.js';

// An outside client's teams, settings, packages and provider callbacks. Every call is checked
// against the OpenAPI document by `t.call`: status listed, body valid against the listed
// schema, nothing dropped by the serializer.
const INBOUND_SECRET = 'inbound-secret-0123456789';
let t: AnswerChecking;
beforeAll(async () => {
  t = await createAnswerCheckingApp({
    PUBLIC_URL: 'https://w.example.com',
    INBOUND_EMAIL_DOMAIN: 'in.example.com',
    INBOUND_SECRET,
  });
});
afterAll(() => t?.close());

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const json = { 'content-type': 'application/json' };

function api(method: string, url: string, payload?: object | string, headers: Record<string, string> = {}) {
  return t.call({ method, url, headers: { ...t.auth, ...headers }, ...(payload !== undefined ? { payload } : {}) });
}
const status = async (method: string, url: string, payload?: object | string) =>
  (await api(method, url, payload)).statusCode;
/** A call without the admin token: a visitor's, or a browser's with `headers`. */
const visit = (method: string, url: string, payload?: object, headers: Record<string, string> = {}) =>
  t.call({ method, url, headers: { ...json, ...headers }, ...(payload !== undefined ? { payload } : {}) });

describe('teams: tokens, workspaces, invitations, the audit log and who I am', () => {
  test('tokens', async () => {
    expect(await status('GET', '/api/tokens')).toBe(200);
    const made = await api('POST', '/api/tokens', { name: 'CI', scopes: ['journeys:read'] });
    expect(made.statusCode).toBe(201);
    expect(await status('POST', '/api/tokens', { name: 'Bad', scopes: ['owner'] })).toBe(400);
    const scoped = { authorization: `Bearer ${made.json().token}` };
    const me = await t.call({ method: 'GET', url: '/api/auth/me', headers: scoped });
    expect(me.json().role).toBeNull();
    expect((await t.call({ method: 'POST', url: '/api/contacts', headers: scoped, payload: {} })).statusCode).toBe(403);
    expect(await status('DELETE', `/api/tokens/${made.json().id}`)).toBe(204);
    expect(await status('DELETE', `/api/tokens/${made.json().id}`)).toBe(404);
    expect(await status('POST', '/api/live/ticket')).toBe(201);
  });

  test('workspaces, members and invitations', async () => {
    expect(await status('GET', '/api/auth/me')).toBe(200);
    const workspaces = (await api('GET', '/api/workspaces')).json().workspaces as { id: string }[];
    const id = workspaces[0]?.id as string;
    expect(await status('GET', `/api/workspaces/${id}`)).toBe(200);
    expect(await status('GET', `/api/workspaces/${UNKNOWN}`)).toBe(404);
    expect(await status('PATCH', `/api/workspaces/${id}`, { name: 'Renamed' })).toBe(200);
    expect(await status('GET', `/api/workspaces/${id}/members`)).toBe(200);
    expect(await status('PATCH', `/api/workspaces/${id}/members/${UNKNOWN}`, { role: 'viewer' })).toBe(404);
    expect(await status('DELETE', `/api/workspaces/${id}/members/${UNKNOWN}`)).toBe(404);
    const invited = await api('POST', `/api/workspaces/${id}/invitations`, {
      email: 'new@example.com',
      role: 'editor',
    });
    expect(invited.statusCode).toBe(201);
    expect(await status('POST', `/api/workspaces/${id}/invitations`, { email: 'x', role: 'king' })).toBe(400);
    expect(await status('GET', `/api/workspaces/${id}/invitations`)).toBe(200);
    const token = String(invited.json().link).split('/').pop();
    expect((await t.call({ method: 'GET', url: `/api/invitations/${token}` })).statusCode).toBe(200);
    expect((await t.call({ method: 'GET', url: '/api/invitations/no-such-token' })).statusCode).toBe(404);
    const accepted = await visit('POST', `/api/invitations/${token}/accept`, { name: 'New', password: 'a-long-pw-1' });
    expect(accepted.statusCode).toBe(200);
    const member = `/api/workspaces/${id}/members/${accepted.json().user.id}`;
    expect(await status('PATCH', member, { role: 'viewer' })).toBe(200);
    expect(await status('PATCH', member, { role: 'king' })).toBe(400);
    expect(await status('DELETE', member)).toBe(204);
    const invitation = (
      await api('POST', `/api/workspaces/${id}/invitations`, { email: 'b@example.com', role: 'viewer' })
    ).json();
    expect(await status('DELETE', `/api/workspaces/${id}/invitations/${invitation.id}`)).toBe(204);
    expect(await status('DELETE', `/api/workspaces/${id}/invitations/${invitation.id}`)).toBe(404);
    expect(await status('POST', '/api/workspaces', { name: 'Tokens cannot' })).toBe(403);
    expect(await status('GET', '/api/audit?limit=5')).toBe(200);
    expect(await status('GET', '/api/audit?limit=0')).toBe(400);
  });

  test('setup, sign-in, a workspace of a user’s own, passwords and sign-out', async () => {
    const code = String(await ensureSetupLink(t.runtime.db, 'https://w.example.com'))
      .split('/')
      .pop();
    const owner = { code, email: 'owner@example.com', password: 'a-long-password' };
    expect((await visit('POST', '/api/auth/setup', owner)).statusCode).toBe(201);
    expect((await visit('POST', '/api/auth/setup', owner)).statusCode).toBe(404);
    expect(
      (await visit('POST', '/api/auth/sign-in', { email: owner.email, password: 'not-the-password' })).statusCode,
    ).toBe(401);
    const session = await visit('POST', '/api/auth/sign-in', { email: owner.email, password: owner.password });
    expect(session.statusCode).toBe(200);
    const cookie = String(session.headers['set-cookie']).match(/waymark_session=[^;]+/)?.[0] as string;
    const browser = { cookie, 'x-csrf-token': session.json().csrfToken as string };
    expect((await visit('POST', '/api/workspaces', { name: 'Mine' }, browser)).statusCode).toBe(201);
    const change = (currentPassword: string) =>
      visit('POST', '/api/auth/password', { currentPassword, newPassword: 'another-long-password' }, browser);
    expect((await change('wrong-password-here')).statusCode).toBe(401);
    expect((await change(owner.password)).statusCode).toBe(204);
    expect((await visit('POST', '/api/auth/password-reset', { email: 'nobody@example.com' })).statusCode).toBe(202);
    const confirm = { token: 'no-such-token-at-all', password: 'another-long-password' };
    expect((await visit('POST', '/api/auth/password-reset/confirm', confirm)).statusCode).toBe(404);
    const signOut = { method: 'POST', url: '/api/auth/sign-out', headers: browser };
    expect((await t.call(signOut)).statusCode).toBe(204);
    expect((await t.call(signOut)).statusCode).toBe(401);
  });
});

describe('settings: retention, DKIM, a credential backlog and leads', () => {
  test('retention', async () => {
    expect(await status('GET', '/api/settings/retention')).toBe(200);
    expect(await status('PUT', '/api/settings/retention', { steps: 'P90D' })).toBe(200);
    expect(await status('PUT', '/api/settings/retention', { steps: 'PT1H' })).toBe(400);
    expect(await status('POST', '/api/settings/retention/enforce')).toBe(200);
  });

  test('DKIM and sender backlog', async () => {
    expect(await status('GET', '/api/settings/dkim')).toBe(200);
    expect(await status('GET', '/api/settings/dkim/example.com')).toBe(404);
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const dkim = { name: 'DKIM', type: 'email.dkim', data: { domain: 'example.com', selector: 's1', privateKey } };
    expect(await status('POST', '/api/credentials', dkim)).toBe(201);
    expect(await status('POST', '/api/credentials', dkim)).toBe(409);
    expect((await api('GET', '/api/settings/dkim')).json().domains).toHaveLength(1);
    expect(await status('GET', '/api/settings/dkim/example.com')).toBe(200);
    expect(await status('GET', '/api/settings/dkim/not_a_host!')).toBe(400);
    const body = { name: 'Gateway', type: 'sms.http-gateway', data: { url: 'https://sms.example.com/send' } };
    const id = (await api('POST', '/api/credentials', body)).json().id as string;
    expect(await status('GET', `/api/credentials/${id}/backlog`)).toBe(200);
    expect(await status('GET', `/api/credentials/${UNKNOWN}/backlog`)).toBe(404);
  });

  test('leads', async () => {
    const contactId = (await api('POST', '/api/contacts', { email: 'lead@example.com' })).json().id as string;
    const { id } = await t.runtime.db
      .insertInto('leads')
      .values({ title: 'A lead', owner: 'sales@example.com', contact_id: contactId, idempotency_key: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect((await api('GET', `/api/leads?contactId=${contactId}`)).json().leads).toHaveLength(1);
    expect(await status('PATCH', `/api/leads/${id}`, { status: 'won' })).toBe(200);
    expect(await status('PATCH', `/api/leads/${id}`, { status: 'maybe' })).toBe(400);
  });
});

describe('packages', () => {
  test('install a tarball, read it, install it again, remove it', async () => {
    const tarball = await pack(writePackage({ name: '@acme/documented-nodes', version: '1.0.0' }));
    const gzip = { 'content-type': 'application/gzip' };
    expect((await api('POST', '/api/packages', tarball, gzip)).statusCode).toBe(201);
    expect((await api('POST', '/api/packages', tarball, gzip)).statusCode).toBe(200);
    const other = await pack(writePackage({ name: '@acme/documented-nodes', version: '1.0.0', readme: 'Other bytes' }));
    expect((await api('POST', '/api/packages', other, gzip)).statusCode).toBe(409);
    expect((await api('POST', '/api/packages', Buffer.from('not a tarball'), gzip)).statusCode).toBe(422);
    expect((await api('POST', '/api/packages', 'x', { 'content-type': 'text/plain' })).statusCode).toBe(415);
    expect(await status('GET', '/api/packages/@acme/documented-nodes/1.0.0')).toBe(200);
    expect(await status('GET', '/api/packages/nope/1.0.0')).toBe(404);
    expect(await status('DELETE', '/api/packages/@acme/documented-nodes/1.0.0')).toBe(204);
    expect(await status('DELETE', '/api/packages/@acme/documented-nodes/1.0.0')).toBe(404);
    expect(await status('DELETE', '/api/packages/nope/1.0.0')).toBe(404);
  });
});

describe('provider and inbound mail callbacks', () => {
  test('a Postmark delivery event, checked by its webhook login', async () => {
    const data = { serverToken: 'pm-token', webhookUsername: 'pm-user', webhookPassword: 'pm-pass' };
    expect(await status('POST', '/api/credentials', { name: 'Postmark', type: 'postmark.server', data })).toBe(201);
    const login = (password: string) => ({
      authorization: `Basic ${Buffer.from(`pm-user:${password}`).toString('base64')}`,
    });
    const delivery = {
      RecordType: 'Delivery',
      MessageID: 'pm-1',
      Recipient: 'a@example.com',
      DeliveredAt: '2026-01-01T00:00:00Z',
    };
    const url = '/hooks/providers/postmark';
    expect((await visit('POST', url, delivery, login('pm-pass'))).statusCode).toBe(200);
    expect((await visit('POST', url, delivery, login('wrong'))).statusCode).toBe(401);
    expect((await visit('POST', '/hooks/providers/nope', delivery)).statusCode).toBe(404);
  });

  test('a Twilio incoming message, answered with TwiML', async () => {
    const authToken = 'twilio-auth-token-0123456789abcd';
    const account = { accountSid: `AC${'c'.repeat(32)}`, authToken, from: '+15005550006' };
    expect(await status('POST', '/api/credentials', { name: 'Twilio', type: 'twilio.account', data: account })).toBe(
      201,
    );
    const fields: Record<string, string> = { AccountSid: account.accountSid, Body: 'hello', From: '+358401110001' };
    Object.assign(fields, { MessageSid: 'SM1', SmsStatus: 'received', To: account.from });
    const signed = Object.keys(fields)
      .sort()
      .map((k) => k + fields[k])
      .join('');
    const url = '/hooks/providers/twilio';
    const signature = createHmac('sha1', authToken).update(`https://w.example.com${url}${signed}`).digest('base64');
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature };
    const res = await t.call({ method: 'POST', url, headers, payload: new URLSearchParams(fields).toString() });
    expect([res.statusCode, res.headers['content-type']]).toEqual([200, 'text/xml; charset=utf-8']);
  });

  test('an inbound mail', async () => {
    const mail = 'From: ann@example.com\r\nTo: sales@in.example.com\r\nSubject: Hello\r\n\r\nHi there\r\n';
    const headers = { 'content-type': 'message/rfc822', 'x-waymark-secret': INBOUND_SECRET };
    const post = (payload: string, with_: Record<string, string>) =>
      t.call({ method: 'POST', url: '/hooks/inbound-email', headers: with_, payload });
    expect((await post(mail, headers)).statusCode).toBe(202);
    expect((await post(mail, { ...headers, 'x-waymark-secret': `${INBOUND_SECRET}-wrong` })).statusCode).toBe(401);
    expect((await post('', headers)).statusCode).toBe(400);
    expect((await post(mail, { ...headers, 'content-type': 'text/plain' })).statusCode).toBe(415);
  });
});
