import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../engine/db/database.js';
import type { Role } from '../../engine/db/tables/teams.js';
import { hashPassword } from '../../server/teams/accounts/users.js';
import type { TestApp } from '../support/runtime.js';

export const PASSWORD = 'correct horse battery';

/** A signed-in browser: its cookies and CSRF token, as headers for `app.inject`. */
export interface Browser {
  userId: string;
  email: string;
  cookie: string;
  csrfToken: string;
  /** Headers for a state-changing request (cookie + X-CSRF-Token). */
  headers: Record<string, string>;
}

let addresses = 0;
/** A fresh client address per call, so the per-address failure limit stays out of the way. */
export const fromAddress = () => ({ remoteAddress: `10.9.${(addresses >> 8) & 255}.${addresses++ & 255}` });

/** The Set-Cookie values of an answer, as `name=value` pairs for a Cookie header. */
export function cookiesOf(res: LightMyRequestResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of res.cookies as { name: string; value: string }[]) out[c.name] = c.value;
  return out;
}

export function browserOf(res: LightMyRequestResponse, email: string): Browser {
  const c = cookiesOf(res);
  const body = res.json() as { user: { id: string }; csrfToken: string };
  const cookie = `waymark_session=${c.waymark_session}; waymark_csrf=${c.waymark_csrf}`;
  return {
    userId: body.user.id,
    email,
    cookie,
    csrfToken: body.csrfToken,
    headers: { cookie, 'x-csrf-token': body.csrfToken },
  };
}

/** Makes a user straight in the database, a member of a workspace with a role. */
export async function makeUser(db: Kysely<Database>, email: string, workspaceId: string | null, role: Role = 'viewer') {
  const user = await db
    .insertInto('users')
    .values({ email, name: email.split('@')[0] as string, password_hash: await hashPassword(PASSWORD) })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (workspaceId)
    await db.insertInto('memberships').values({ workspace_id: workspaceId, user_id: user.id, role }).execute();
  return user.id;
}

export async function signIn(app: FastifyInstance, email: string, password = PASSWORD): Promise<Browser> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/sign-in',
    payload: { email, password },
    ...fromAddress(),
  });
  if (res.statusCode !== 200) throw new Error(`sign-in of ${email}: ${res.statusCode} ${res.body}`);
  return browserOf(res, email);
}

/** `POST /api/auth/password` as this browser, from an address of its own (a wrong password counts there). */
export const changePassword = (app: FastifyInstance, browser: Browser, currentPassword: string, newPassword: string) =>
  app.inject({
    method: 'POST',
    url: '/api/auth/password',
    headers: browser.headers,
    payload: { currentPassword, newPassword },
    ...fromAddress(),
  });

export async function defaultWorkspace(db: Kysely<Database>): Promise<string> {
  return (await db.selectFrom('workspaces').select('id').where('is_default', '=', true).executeTakeFirstOrThrow()).id;
}

/** The authorization header of a new token of `scopes`, made by the app's owner token. */
export async function scopedToken(t: TestApp, scopes: string[]): Promise<Record<string, string>> {
  const made = await t.app.inject({
    method: 'POST',
    url: '/api/tokens',
    headers: t.auth,
    payload: { name: scopes.join(' '), scopes },
  });
  if (made.statusCode !== 201) throw new Error(`the token was not made: ${made.body}`);
  return { authorization: `Bearer ${made.json().token}` };
}

/** `POST /api/workspaces` as this browser, whose owner it becomes: the new workspace's id. */
export async function makeWorkspace(app: FastifyInstance, browser: Browser, name: string): Promise<string> {
  const made = await app.inject({
    method: 'POST',
    url: '/api/workspaces',
    headers: browser.headers,
    payload: { name },
  });
  if (made.statusCode !== 201) throw new Error(`the workspace was not made: ${made.body}`);
  return made.json().id;
}

/** A signed-in user makes a workspace of their own (they are its owner); answers its id. */
export async function ownWorkspace(app: FastifyInstance, browser: Browser, name: string): Promise<string> {
  const made = await app.inject({
    method: 'POST',
    url: '/api/workspaces',
    headers: browser.headers,
    payload: { name },
  });
  if (made.statusCode !== 201) throw new Error(`workspace ${name}: ${made.statusCode} ${made.body}`);
  return made.json().id;
}
