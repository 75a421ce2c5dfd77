import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { startWorker } from '../../engine/worker/start-worker.js';
import { e, n, testPackage } from '../engine/support.js';
import { RegistryStandIn } from '../packages/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { defaultWorkspace, makeUser, signIn } from './support.js';

/**
 * Two workspaces, A (the default, driven by the environment token) and B (made by a user,
 * driven by B's own admin token), with one of everything in A. The workspace specs
 * (workspaces-*.test.ts) name A's objects from B: B never reads, changes or learns of them.
 */
export const SECRET = 'a-webhook-secret-0123456789';

export type Auth = Record<string, string>;
export type Call = { method: string; url: string; payload?: unknown; headers?: Record<string, string> };

export interface TwoWorkspaces {
  t: TestApp;
  A: string;
  B: string;
  aAuth: Auth;
  bAuth: Auth;
  /** A's objects by kind: journey, run, contact, event, credential, dkim, message, lead, retryJob, token, invitation, userId. */
  a: Record<string, string>;
  call(c: Call, as: Auth): Promise<LightMyRequestResponse>;
  /** `call`, failing on an answer of 300 or more; the parsed body. */
  ok<T = Record<string, unknown>>(c: Call, as: Auth): Promise<T>;
  /** Creates and publishes a journey of `graph` named `name` as `as`; its id. */
  publishedJourney(as: Auth, name: string): Promise<string>;
  close(): Promise<void>;
}

export const graph = {
  nodes: [
    n('hook', 'core.webhook', { secret: SECRET }),
    n('ev', 'core.event', { event: 'signed-up' }),
    n('a', 'tst.step', { label: 'x' }),
    n('ab', 'core.split', {
      variants: [
        { key: 'x', weight: 50 },
        { key: 'y', weight: 50 },
      ],
    }),
  ],
  edges: [e('hook', 'a'), e('ev', 'a'), e('a', 'ab')],
};
export const template = { name: 'Welcome', format: 'html', subject: 'Hi', body: '<p>Hi</p>' };
export const form = {
  name: 'News',
  fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
  lists: ['newsletter'],
};

/** Sets up both workspaces and A's objects; a worker runs steps. */
export async function setUpTwoWorkspaces(): Promise<TwoWorkspaces> {
  // Packages are the installation's, not a workspace's: B may search the registry and install.
  const npmRegistry = new RegistryStandIn();
  const t = await createTestApp({ WAYMARK_NPM_REGISTRY: await npmRegistry.start() });
  t.runtime.registry.add(testPackage);
  const worker = await startWorker(t.runtime, { pollInterval: 200 });
  const a: Record<string, string> = {};
  const call = (c: Call, as: Auth) =>
    t.app.inject({
      method: c.method as 'GET',
      url: c.url,
      headers: { ...as, ...c.headers },
      ...(c.payload === undefined ? {} : { payload: c.payload as object }),
    });
  async function ok<T = Record<string, unknown>>(c: Call, as: Auth): Promise<T> {
    const res = await call(c, as);
    if (res.statusCode >= 300) throw new Error(`${c.method} ${c.url}: ${res.statusCode} ${res.body}`);
    return (res.body ? res.json() : {}) as T;
  }
  async function publishedJourney(as: Auth, name: string): Promise<string> {
    const { id } = await ok<{ id: string }>({ method: 'POST', url: '/api/journeys', payload: { name, graph } }, as);
    await ok({ method: 'POST', url: `/api/journeys/${id}/publish` }, as);
    return id;
  }
  const A = await defaultWorkspace(t.runtime.db);
  const aAuth = t.auth;
  a.userId = await makeUser(t.runtime.db, 'owner@example.com', A, 'owner');
  const owner = await signIn(t.app, 'owner@example.com');
  const B = (
    await ok<{ id: string }>({ method: 'POST', url: '/api/workspaces', payload: { name: 'B' } }, owner.headers)
  ).id;
  const bToken = await ok<{ token: string }>(
    { method: 'POST', url: '/api/tokens', payload: { name: 'b', scopes: ['admin'] } },
    { ...owner.headers, 'x-waymark-workspace': B },
  );
  const bAuth = { authorization: `Bearer ${bToken.token}` };

  // One of everything in A.
  a.journey = await publishedJourney(aAuth, 'A journey');
  a.contact = (
    await ok<{ id: string }>({ method: 'POST', url: '/api/contacts', payload: { email: 'same@example.com' } }, aAuth)
  ).id;
  const hook = await t.app.inject({
    method: 'POST',
    url: `/hooks/${a.journey}/hook`,
    headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
    payload: JSON.stringify({ email: 'same@example.com' }),
  });
  a.run = hook.json().runId;
  a.event = (
    await ok<{ id: string }>(
      { method: 'POST', url: '/api/events', payload: { email: 'same@example.com', name: 'visited' } },
      aAuth,
    )
  ).id;
  a.credential = (
    await ok<{ id: string }>(
      {
        method: 'POST',
        url: '/api/credentials',
        payload: {
          name: 'smtp',
          type: 'email.smtp',
          data: { host: 'smtp.example.com', port: 587, user: 'u', password: 'p' },
        },
      },
      aAuth,
    )
  ).id;
  a.dkim = (
    await ok<{ id: string }>(
      {
        method: 'POST',
        url: '/api/credentials',
        payload: { name: 'A signing key', type: 'email.dkim', data: { domain: 'a-mail.example.com' } },
      },
      aAuth,
    )
  ).id;
  await ok({ method: 'PUT', url: '/api/templates/a-welcome', payload: template }, aAuth);
  await ok({ method: 'PUT', url: '/api/snippets/a-footer', payload: { body: 'A footer' } }, aAuth);
  await ok(
    {
      method: 'PUT',
      url: '/api/computed-attributes/aOrders',
      payload: { definition: { kind: 'aggregate', fn: 'count', event: 'order' } },
    },
    aAuth,
  );
  await ok({ method: 'PUT', url: '/api/forms/a-signup', payload: form }, aAuth);
  await ok({ method: 'PUT', url: '/api/tags/vip', payload: { ttlSeconds: 3600 } }, aAuth);
  await ok({ method: 'POST', url: `/api/contacts/${a.contact}/tags`, payload: { tag: 'vip' } }, aAuth);
  await ok({ method: 'POST', url: `/api/contacts/${a.contact}/lists`, payload: { list: 'newsletter' } }, aAuth);
  await ok({ method: 'PUT', url: '/api/settings/contact-rules', payload: { requireConsent: true } }, aAuth);
  a.message = (
    await ok<{ messageId: string }>(
      {
        method: 'POST',
        url: '/api/templates/a-welcome/send-test',
        payload: { to: 'qa@example.com', from: 'a@example.com' },
      },
      aAuth,
    )
  ).messageId;
  a.lead = (
    await t.runtime.db
      .insertInto('leads')
      .values({ title: 'A lead', owner: 'sales@example.com', contact_id: a.contact, idempotency_key: null })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  a.retryJob = (
    await ok<{ jobId: string }>({ method: 'POST', url: `/api/journeys/${a.journey}/retry`, payload: {} }, aAuth)
  ).jobId;
  const tokens = await ok<{ tokens: { id: string }[] }>({ method: 'GET', url: '/api/tokens' }, aAuth);
  a.token = tokens.tokens[0]?.id as string;
  a.invitation = (
    await ok<{ id: string }>(
      {
        method: 'POST',
        url: `/api/workspaces/${A}/invitations`,
        payload: { email: 'new@example.com', role: 'viewer' },
      },
      aAuth,
    )
  ).id;
  return {
    t,
    A,
    B,
    aAuth,
    bAuth,
    a,
    call,
    ok,
    publishedJourney,
    async close() {
      await worker.stop();
      await t.close();
      await npmRegistry.stop();
    },
  };
}

/** A's webhook called for `email`: a run of A starts (202), for what a live feed then carries. */
export function hookOfA(w: TwoWorkspaces, email: string): Promise<LightMyRequestResponse> {
  return w.t.app.inject({
    method: 'POST',
    url: `/hooks/${w.a.journey}/hook`,
    headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
    payload: JSON.stringify({ email }),
  });
}

/**
 * For a spec file: both workspaces set up before its tests and closed after them.
 *
 * @example
 * const w = useTwoWorkspaces();
 * test('…', async () => { await w.ok({ method: 'GET', url: '/api/journeys' }, w.bAuth); });
 */
export function useTwoWorkspaces(): TwoWorkspaces {
  const holder = {} as TwoWorkspaces;
  beforeAll(async () => {
    Object.assign(holder, await setUpTwoWorkspaces());
  }, 60_000);
  afterAll(async () => {
    if ('close' in holder) await holder.close();
  });
  return holder;
}
