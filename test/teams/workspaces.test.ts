import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createContactsService } from '../../engine/contacts/service.js';
import { createCredentialsService } from '../../engine/credentials/service.js';
import { evaluateTriggers } from '../../engine/segments/tick.js';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { stepScope } from '../channels/scope.js';
import { e, eventually, n, testPackage } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { ROUTES } from './route-table.js';
import { defaultWorkspace, makeUser, signIn } from './support.js';

/**
 * Two workspaces, A (the default, driven by the environment token) and B (made by a user,
 * driven by B's own admin token). Everything A holds is named from B, on every route of the
 * route table: B never reads, changes or learns of it.
 */
let t: TestApp;
let worker: WorkerHandle;
let A: string;
let B: string;
let aAuth: Record<string, string>;
let bAuth: Record<string, string>;
const a: Record<string, string> = {};
const SECRET = 'a-webhook-secret-0123456789';

type Call = { method: string; url: string; payload?: unknown; headers?: Record<string, string> };
const call = (c: Call, as: Record<string, string>) =>
  t.app.inject({
    method: c.method as 'GET',
    url: c.url,
    headers: { ...as, ...c.headers },
    ...(c.payload === undefined ? {} : { payload: c.payload as object }),
  });
async function ok<T = Record<string, unknown>>(c: Call, as: Record<string, string>): Promise<T> {
  const res = await call(c, as);
  if (res.statusCode >= 300) throw new Error(`${c.method} ${c.url}: ${res.statusCode} ${res.body}`);
  return (res.body ? res.json() : {}) as T;
}

const graph = {
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
const template = { name: 'Welcome', format: 'html', subject: 'Hi', body: '<p>Hi</p>' };
const form = {
  name: 'News',
  fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
  lists: ['newsletter'],
};

async function publishedJourney(as: Record<string, string>, name: string): Promise<string> {
  const { id } = await ok<{ id: string }>({ method: 'POST', url: '/api/journeys', payload: { name, graph } }, as);
  await ok({ method: 'POST', url: `/api/journeys/${id}/publish` }, as);
  return id;
}

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 200 });
  A = await defaultWorkspace(t.runtime.db);
  aAuth = t.auth;
  a.userId = await makeUser(t.runtime.db, 'owner@example.com', A, 'owner');
  const owner = await signIn(t.app, 'owner@example.com');
  B = (await ok<{ id: string }>({ method: 'POST', url: '/api/workspaces', payload: { name: 'B' } }, owner.headers)).id;
  const bToken = await ok<{ token: string }>(
    { method: 'POST', url: '/api/tokens', payload: { name: 'b', scopes: ['admin'] } },
    { ...owner.headers, 'x-waymark-workspace': B },
  );
  bAuth = { authorization: `Bearer ${bToken.token}` };

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
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

/** A's object each path parameter names, by the route's path. */
function aObjectFor(path: string, param: string): string {
  if (param === 'id') {
    const kind = /^\/api\/(\w+)\//.exec(path)?.[1];
    const byKind: Record<string, string> = {
      journeys: a.journey as string,
      runs: a.run as string,
      contacts: a.contact as string,
      credentials: a.credential as string,
      messages: a.message as string,
      leads: a.lead as string,
      templates: 'a-welcome',
      forms: 'a-signup',
      tokens: a.token as string,
      workspaces: A,
    };
    const found = kind ? byKind[kind] : undefined;
    if (!found) throw new Error(`${path}: name an object of workspace A for {id} in the cross-workspace test`);
    return found;
  }
  if (param === 'name' && path.startsWith('/api/computed-attributes/')) return 'aOrders';
  const byParam: Record<string, string> = {
    name: 'a-footer',
    tag: 'vip',
    list: 'newsletter',
    category: 'newsletter',
    domain: 'a-mail.example.com',
    version: '1',
    userId: a.userId as string,
    invitationId: a.invitation as string,
    jobId: a.retryJob as string,
    nodeId: 'ab',
  };
  const found = byParam[param];
  if (!found) throw new Error(`${path}: name an object of workspace A for {${param}} in the cross-workspace test`);
  return found;
}

/** A valid body for each route that takes one, so only the workspace can refuse it. */
const BODIES: Record<string, unknown> = {
  'POST /api/journeys': { name: 'B journey' },
  'PATCH /api/journeys/{id}': { name: 'taken over' },
  'PUT /api/journeys/{id}/draft': { graph: { nodes: [], edges: [] } },
  'POST /api/journeys/{id}/test': {},
  'POST /api/journeys/{id}/retry': {},
  'POST /api/runs/{id}/retry': {},
  'POST /api/contacts': { email: 'b-only@example.com' },
  'PUT /api/contacts/{id}/consent': { channel: 'email', status: 'unsubscribed' },
  'PUT /api/contacts/{id}/subscriptions/{category}': { status: 'unsubscribed' },
  'POST /api/contacts/{id}/tags': { tag: 'vip' },
  'POST /api/contacts/{id}/lists': { list: 'newsletter' },
  'POST /api/contacts/{id}/merge': { from: '00000000-0000-4000-8000-000000000000' },
  'POST /api/contacts/{id}/unmerge': { from: '00000000-0000-4000-8000-000000000000' },
  'POST /api/events': { email: 'b-only@example.com', name: 'visited' },
  'PUT /api/tags/{tag}': { ttlSeconds: 5 },
  'POST /api/credentials': { name: 'b', type: 'email.smtp', data: { host: 'h', port: 25, user: 'u', password: 'p' } },
  'PUT /api/credentials/{id}': { name: 'taken over' },
  'PATCH /api/leads/{id}': { status: 'won' },
  'PUT /api/settings/contact-rules': {},
  'PUT /api/settings/identity': { autoMerge: false, autoMergeOn: [] },
  'PUT /api/settings/attribute-sources': { default: ['crm'], attributes: {} },
  'PUT /api/settings/retention': { steps: 'P1Y' },
  'POST /api/tokens': { name: 'b2', scopes: ['journeys:read'] },
  'PATCH /api/workspaces/{id}': { name: 'taken over' },
  'PATCH /api/workspaces/{id}/members/{userId}': { role: 'viewer' },
  'POST /api/workspaces/{id}/invitations': { email: 'x@example.com', role: 'viewer' },
  'PUT /api/templates/{id}': { ...template, subject: 'taken over' },
  'POST /api/templates/{id}/preview': {},
  'POST /api/templates/{id}/send-test': { to: 'qa@example.com', from: 'b@example.com' },
  'PUT /api/snippets/{name}': { body: 'B footer' },
  'PUT /api/computed-attributes/{name}': { definition: { kind: 'aggregate', fn: 'count', event: 'order' } },
  'PUT /api/forms/{id}': { ...form, name: 'taken over' },
  'POST /api/journeys/{id}/nodes/{nodeId}/winner': { variant: 'x' },
};

/** Routes whose body is not JSON. */
const RAW: Record<string, { payload: string; headers: Record<string, string> }> = {
  'POST /api/contacts/import': { payload: 'email\nimported@example.com\n', headers: { 'content-type': 'text/csv' } },
};

/** A valid query for each route that needs one. */
const QUERIES: Record<string, string> = {
  'GET /api/journeys/{id}/diff': '?from=1&to=draft',
};

/**
 * What B hears when it names A's object. 404 everywhere, as for an unknown id; names chosen
 * by people are B's own (B gets its own snippet and tag lifespan); template and form ids are
 * unique across workspaces (a form's id is its public URL), so B cannot take A's: 409.
 */
function expectedAcross(method: string, path: string): number {
  const key = `${method} ${path}`;
  if (key === 'PUT /api/snippets/{name}' || key === 'PUT /api/computed-attributes/{name}') return 201;
  if (key === 'PUT /api/tags/{tag}') return 200;
  if (key === 'PUT /api/templates/{id}' || key === 'PUT /api/forms/{id}') return 409;
  return 404;
}

// The owner is a member of both workspaces (B shows who made its token): not A's alone.
const aIds = () =>
  Object.entries(a)
    .filter(([k, v]) => k !== 'userId' && v.length >= 36)
    .map(([, v]) => v);
// Not walked: public routes, sign-out (ends nothing of A's), the live feed (tested below).
const walked = ROUTES.filter(
  ([m, p, perm]) => perm !== 'public' && !(m === 'POST' && p === '/api/auth/sign-out') && p !== '/api/live',
);

describe('two workspaces', () => {
  test('every route refuses B what is A’s, and no answer to B carries an id of A', async () => {
    // Names are per workspace: B making its own `a-footer` snippet comes after B asked for A's.
    const ownNames = (m: string, p: string) => expectedAcross(m, p) < 300;
    const ordered = [...walked.filter(([m, p]) => !ownNames(m, p)), ...walked.filter(([m, p]) => ownNames(m, p))];
    for (const [method, path, permission] of ordered) {
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
      const key = `${method} ${path}`;
      const url = params.reduce((u, p) => u.replace(`{${p}}`, aObjectFor(path, p)), path) + (QUERIES[key] ?? '');
      const res = await call(RAW[key] ? { method, url, ...RAW[key] } : { method, url, payload: BODIES[key] }, bAuth);
      if (params.length > 0 && !path.startsWith('/api/workspaces/{id}')) {
        expect(res.statusCode, `${key} with A's object`).toBe(expectedAcross(method, path));
        if (res.statusCode === 404) expect(res.json().error.code, key).toBe('not_found');
      } else if (path.startsWith('/api/workspaces/{id}')) {
        expect(res.statusCode, `${key} with A's workspace`).toBe(404);
      } else if (permission === 'user') {
        expect(res.statusCode, key).toBe(403);
      } else {
        expect(res.statusCode, key).toBeLessThan(300);
      }
      if (res.statusCode < 300 && res.body)
        for (const id of aIds()) expect(res.body.includes(id), `${key} shows A's ${id}`).toBe(false);
    }
  });

  test('filters naming A’s objects find nothing for B', async () => {
    for (const url of [
      `/api/events?contactId=${a.contact}`,
      `/api/runs?journeyId=${a.journey}`,
      `/api/runs?contactId=${a.contact}`,
      `/api/messages?contactId=${a.contact}`,
      `/api/leads?contactId=${a.contact}`,
    ]) {
      const res = await call({ method: 'GET', url }, bAuth);
      expect(res.statusCode, url).toBe(200);
      const body = res.json() as Record<string, unknown[]>;
      const list = Object.values(body).find(Array.isArray) ?? [];
      expect(list, url).toEqual([]);
    }
    const segment = encodeURIComponent(JSON.stringify({ tag: 'vip', op: 'has' }));
    const preview = await ok<{ contacts: unknown[]; total: number }>(
      { method: 'GET', url: `/api/contacts?segment=${segment}` },
      bAuth,
    );
    expect(preview.total).toBe(0);
  });

  test('A’s objects are as A left them', async () => {
    expect((await ok<{ name: string }>({ method: 'GET', url: `/api/journeys/${a.journey}` }, aAuth)).name).toBe(
      'A journey',
    );
    expect((await ok<{ status: string }>({ method: 'GET', url: `/api/journeys/${a.journey}` }, aAuth)).status).toBe(
      'live',
    );
    const contact = await ok<{ tags: { tag: string; active: boolean }[]; consent: { email: { status: string } } }>(
      { method: 'GET', url: `/api/contacts/${a.contact}` },
      aAuth,
    );
    expect(contact.tags.map((x) => [x.tag, x.active])).toEqual([['vip', true]]);
    expect(contact.consent.email.status).toBe('unknown');
    expect((await ok<{ body: string }>({ method: 'GET', url: '/api/snippets/a-footer' }, aAuth)).body).toBe('A footer');
    expect((await ok<{ subject: string }>({ method: 'GET', url: '/api/templates/a-welcome' }, aAuth)).subject).toBe(
      'Hi',
    );
    expect((await ok<{ name: string }>({ method: 'GET', url: '/api/forms/a-signup' }, aAuth)).name).toBe('News');
    const tags = await ok<{ tags: { tag: string; ttlSeconds: number }[] }>({ method: 'GET', url: '/api/tags' }, aAuth);
    expect(tags.tags.find((x) => x.tag === 'vip')?.ttlSeconds).toBe(3600);
    expect(await ok({ method: 'GET', url: '/api/settings/contact-rules' }, aAuth)).toEqual({ requireConsent: true });
    expect(await ok({ method: 'GET', url: '/api/settings/contact-rules' }, bAuth)).toEqual({});
    const credentials = await ok<{ credentials: { id: string; name: string }[] }>(
      { method: 'GET', url: '/api/credentials' },
      aAuth,
    );
    expect(credentials.credentials.find((c) => c.id === a.credential)?.name).toBe('smtp');
    expect(
      await ok<{ status: string }>({ method: 'GET', url: `/api/leads?contactId=${a.contact}` }, aAuth),
    ).toMatchObject({
      leads: [{ id: a.lead, status: 'open' }],
    });
    expect((await call({ method: 'GET', url: `/api/messages/${a.message}` }, aAuth)).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: `/api/runs/${a.run}` }, aAuth)).statusCode).toBe(200);
  });

  test('one email is a contact in each workspace, and each side binds its own', async () => {
    const inB = await call(
      { method: 'POST', url: '/api/contacts', payload: { email: 'Same@Example.com', attributes: { side: 'b' } } },
      bAuth,
    );
    expect(inB.statusCode).toBe(201);
    const bContact = inB.json().id as string;
    expect(bContact).not.toBe(a.contact);
    const again = await call({ method: 'POST', url: '/api/contacts', payload: { email: 'same@example.com' } }, aAuth);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(a.contact);
    expect(again.json().attributes).toEqual({});
    const event = await ok<{ id: string }>(
      { method: 'POST', url: '/api/events', payload: { email: 'same@example.com', name: 'b-side' } },
      bAuth,
    );
    const bEvents = await ok<{ events: { id: string; contactId: string }[] }>(
      { method: 'GET', url: '/api/events?name=b-side' },
      bAuth,
    );
    expect(bEvents.events).toEqual([expect.objectContaining({ id: event.id, contactId: bContact })]);
    const aEvents = await ok<{ events: unknown[] }>({ method: 'GET', url: '/api/events?name=b-side' }, aAuth);
    expect(aEvents.events).toEqual([]);
    // The same idempotency key in each workspace stores an event in each.
    const key = 'same-key-in-both';
    const one = await ok<{ id: string }>(
      { method: 'POST', url: '/api/events', payload: { email: 'same@example.com', name: 'k', idempotencyKey: key } },
      aAuth,
    );
    const two = await ok<{ id: string }>(
      { method: 'POST', url: '/api/events', payload: { email: 'same@example.com', name: 'k', idempotencyKey: key } },
      bAuth,
    );
    expect(two.id).not.toBe(one.id);
  });

  test('an event in B starts and resumes nothing of A; a webhook of A binds A’s contact', async () => {
    const bJourney = await publishedJourney(bAuth, 'B journey');
    await ok({ method: 'POST', url: '/api/events', payload: { email: 'same@example.com', name: 'signed-up' } }, bAuth);
    const bRuns = await eventually(async () => {
      const r = await ok<{ runs: { journeyId: string; contactId: string }[] }>(
        { method: 'GET', url: `/api/runs?journeyId=${bJourney}` },
        bAuth,
      );
      return r.runs.length ? r.runs : undefined;
    });
    expect(bRuns.map((r) => r.journeyId)).toEqual([bJourney]);
    const aRuns = await ok<{ runs: { contactId: string; journeyId: string }[] }>(
      { method: 'GET', url: `/api/runs?journeyId=${a.journey}` },
      aAuth,
    );
    // Only the webhook run of the setup: B's `signed-up` started no run of A's journey.
    expect(aRuns.runs).toHaveLength(1);
    expect(aRuns.runs[0]?.contactId).toBe(a.contact);

    const hook = await t.app.inject({
      method: 'POST',
      url: `/hooks/${bJourney}/hook`,
      headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'same@example.com' }),
    });
    expect(hook.statusCode).toBe(202);
    const run = await ok<{ contactId: string }>({ method: 'GET', url: `/api/runs/${hook.json().runId}` }, bAuth);
    expect(run.contactId).not.toBe(a.contact);
    const contact = await ok<{ email: string }>({ method: 'GET', url: `/api/contacts/${run.contactId}` }, bAuth);
    expect(contact.email).toBe('same@example.com');
    expect((await call({ method: 'GET', url: `/api/runs/${hook.json().runId}` }, aAuth)).statusCode).toBe(404);
  });

  test('a goal event in B converts none of A’s runs; the same event in A does', async () => {
    const { id } = await ok<{ id: string }>(
      {
        method: 'POST',
        url: '/api/journeys',
        payload: { name: 'A goal', graph, settings: { goal: { event: 'purchase', windowSeconds: 86400 } } },
      },
      aAuth,
    );
    await ok({ method: 'POST', url: `/api/journeys/${id}/publish` }, aAuth);
    const hook = await t.app.inject({
      method: 'POST',
      url: `/hooks/${id}/hook`,
      headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'same@example.com' }),
    });
    const runId = hook.json().runId as string;
    const conversion = async () =>
      (await ok<{ conversion: unknown }>({ method: 'GET', url: `/api/runs/${runId}` }, aAuth)).conversion;

    // B's contact has A's contact's email: still another contact, so A's run does not convert.
    await ok({ method: 'POST', url: '/api/events', payload: { email: 'same@example.com', name: 'purchase' } }, bAuth);
    expect(await conversion()).toBeNull();
    const analytics = await ok<{ runs: { converted: number } }>(
      { method: 'GET', url: `/api/journeys/${id}/analytics` },
      aAuth,
    );
    expect(analytics.runs.converted).toBe(0);

    const event = await ok<{ id: string }>(
      { method: 'POST', url: '/api/events', payload: { email: 'same@example.com', name: 'purchase' } },
      aAuth,
    );
    expect(await conversion()).toMatchObject({ eventId: event.id });
  });

  test('a segment trigger of B looks at B’s contacts only', async () => {
    const bVip = (
      await ok<{ id: string }>({ method: 'POST', url: '/api/contacts', payload: { email: 'b-vip@example.com' } }, bAuth)
    ).id;
    await ok({ method: 'POST', url: `/api/contacts/${bVip}/tags`, payload: { tag: 'vip' } }, bAuth);
    const { id } = await ok<{ id: string }>(
      {
        method: 'POST',
        url: '/api/journeys',
        payload: {
          name: 'B vips',
          graph: {
            nodes: [n('seg', 'core.segment', { filter: { tag: 'vip', op: 'has' }, every: 'PT1M' }), n('a', 'tst.step')],
            edges: [e('seg', 'a')],
          },
        },
      },
      bAuth,
    );
    await ok({ method: 'POST', url: `/api/journeys/${id}/publish` }, bAuth);
    await evaluateTriggers(t.runtime);
    // A's contact carries `vip` too: only B's enters.
    const runs = await eventually(async () => {
      const r = await ok<{ runs: { contactId: string }[] }>({ method: 'GET', url: `/api/runs?journeyId=${id}` }, bAuth);
      return r.runs.length ? r.runs : undefined;
    });
    expect(runs.map((r) => r.contactId)).toEqual([bVip]);
  });

  test('a node running in B finds none of A’s contacts or credentials', async () => {
    const scope = await stepScope(t.runtime, { workspaceId: B });
    const contacts = createContactsService(scope);
    expect(await contacts.get(a.contact as string)).toBeNull();
    await expect(contacts.addTag(a.contact as string, 'taken')).rejects.toThrow(`no contact ${a.contact}`);
    await expect(contacts.recordEvent(a.contact as string, 'spoofed', {})).rejects.toThrow('no contact');
    await expect(createCredentialsService(scope, ['email.smtp']).get(a.credential as string)).rejects.toThrow(
      'does not exist',
    );
    const inA = await createContactsService(await stepScope(t.runtime)).get(a.contact as string);
    expect(inA?.tags.map((x) => x.tag)).toEqual(['vip']);
  });

  test('a form’s submissions land in the form’s workspace', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/f/a-signup',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      payload: JSON.stringify({ email: 'reader@example.com' }),
    });
    expect(res.statusCode).toBeLessThan(300);
    const inA = await ok<{ total: number }>(
      {
        method: 'GET',
        url: `/api/contacts?segment=${encodeURIComponent(JSON.stringify({ attr: 'email', op: 'eq', value: 'reader@example.com' }))}`,
      },
      aAuth,
    );
    const inB = await ok<{ total: number }>(
      {
        method: 'GET',
        url: `/api/contacts?segment=${encodeURIComponent(JSON.stringify({ attr: 'email', op: 'eq', value: 'reader@example.com' }))}`,
      },
      bAuth,
    );
    expect([inA.total, inB.total]).toEqual([1, 0]);
  });
});

/** The part of the `ws` client this test uses (the package ships no types). */
interface WsClient {
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'open', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): void;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string) => WsClient;

describe('the live feed', () => {
  test('sends each workspace only its own steps, even for a journey id asked for', async () => {
    const base = (await t.app.listen({ port: 0, host: '127.0.0.1' })).replace('http', 'ws');
    const connect = (query: string) =>
      new Promise<{ socket: WsClient; messages: { journeyId: string }[] }>((resolve, reject) => {
        const socket = new WebSocket(`${base}/api/live?${query}`);
        const messages: { journeyId: string }[] = [];
        socket.on('message', (data) => messages.push(JSON.parse(String(data))));
        socket.on('open', () => resolve({ socket, messages }));
        socket.on('error', reject);
      });
    const bToken = bAuth.authorization?.replace('Bearer ', '') as string;
    const aToken = aAuth.authorization?.replace('Bearer ', '') as string;
    const bAll = await connect(`token=${bToken}`);
    const bSpying = await connect(`token=${bToken}&journeyId=${a.journey}`);
    const aAll = await connect(`token=${aToken}`);
    await new Promise((r) => setTimeout(r, 300)); // the LISTEN connection settles
    const hook = await t.app.inject({
      method: 'POST',
      url: `/hooks/${a.journey}/hook`,
      headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'live@example.com' }),
    });
    expect(hook.statusCode).toBe(202);
    await eventually(async () => aAll.messages.length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(aAll.messages.every((m) => m.journeyId === a.journey)).toBe(true);
    expect(bAll.messages).toEqual([]);
    expect(bSpying.messages).toEqual([]);
    for (const c of [aAll, bAll, bSpying]) c.socket.close();
  });
});
