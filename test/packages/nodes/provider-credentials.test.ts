import { createHmac } from 'node:crypto';
import { RetryableError } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { eventsOf, insertContact, mailThrough } from '../../channels/scope.js';
import { e, n, runEnds } from '../../engine/support.js';
import { type StandIn, startStandIn } from '../../sending/stand-in.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { installTarball } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// contracts/sending.md, SDK part: a package declares a credential type's `sender` and `events`
// as the built-ins do, and an installed one is used from email.send and
// /hooks/providers/<provider>, its code run in the package's threads (packages.md "Isolation
// and reach"): never in the process's main thread.

const SECRET = 'a-secret-of-16-chars';
const SIGNING_KEY = 'acme-signing-key';
let t: TestApp;
let acme: StandIn;
let worker: WorkerHandle;
const flags = globalThis as { acmeLoaded?: boolean };

// The sender POSTs to the stand-in through ctx.http; a 503 is provider.unavailable (retried),
// another failure provider.rejected. verify checks an HMAC of the raw bytes; parse reads JSON.
const credentials = `[{
  type: 'acme.mail', title: 'Acme Mail',
  schema: { type: 'object', properties: { endpoint: { type: 'string' }, apiKey: { type: 'string' }, signingKey: { type: 'string' } }, required: ['endpoint', 'apiKey'] },
  sender: {
    channel: 'email',
    async send(message, ctx) {
      const res = await ctx.http.request({
        method: 'POST', url: ctx.data.endpoint + '/send',
        headers: { 'content-type': 'application/json', authorization: 'Bearer ' + ctx.data.apiKey },
        body: JSON.stringify({ to: message.to, subject: message.subject, waymark: message.messageId, key: ctx.idempotencyKey, publicUrl: ctx.publicUrl, env: Object.keys(process.env).length }),
      });
      if (res.status === 503) throw new RetryableError('provider.unavailable: Acme answered 503', { code: 'provider.unavailable' });
      if (res.status !== 200) throw new NodeError('provider.rejected: Acme answered ' + res.status, { code: 'provider.rejected' });
      return { providerId: res.body.id };
    },
  },
  events: {
    provider: 'acme',
    verify(request, data) {
      if (!Buffer.isBuffer(request.rawBody) || typeof data.signingKey !== 'string') return false;
      const expected = createHmac('sha256', data.signingKey).update(request.rawBody).digest('hex');
      return safeEqual(request.headers['x-acme-signature'] ?? '', expected);
    },
    parse(request) {
      return jsonBody(request).events.map((e) => e.kind === 'opened' ? null : {
        id: e.id, type: e.kind, providerId: e.messageId, recipient: e.to,
        ...(e.kind === 'bounced' ? { kind: 'hard', status: '5.1.1' } : {}),
      });
    },
    answer(request) {
      return jsonBody(request).thanks ? { contentType: 'text/plain; charset=utf-8', body: 'thanks' } : null;
    },
  },
}, {
  type: 'acme.crashing', title: 'Acme Mail that crashes', schema: { type: 'object' },
  sender: { channel: 'email', async send() { process.exit(3); } },
  events: { provider: 'acme', verify(request, data) { if (data.crash) process.exit(4); return false; }, parse: () => [] },
}]`;

beforeAll(async () => {
  acme = await startStandIn(() => ({ status: 200, body: { id: 'acme-1' } }));
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true', PUBLIC_URL: 'https://waymark.example.com' });
  worker = await startWorker(t.runtime, { pollInterval: 100 });
  const dir = writePackage({
    name: 'acme-mail',
    prefix: 'acme',
    version: '1.0.0',
    preamble: `import { createHmac } from 'node:crypto';
import { NodeError, jsonBody, safeEqual } from '@waymark/sdk';
globalThis.acmeLoaded = true;`,
    credentials,
  });
  const res = await installTarball(t, await pack(dir));
  if (res.statusCode !== 201) throw new Error(res.body);
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await acme?.close();
});

const inject = async (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) => {
  const res = await t.app.inject({ method, url, headers: t.auth, ...(payload === undefined ? {} : { payload }) });
  return { status: res.statusCode, body: res.json() };
};

let credentialId = '';
async function credential(): Promise<string> {
  if (credentialId) return credentialId;
  const data = { endpoint: acme.url, apiKey: 'acme-key', signingKey: SIGNING_KEY };
  const res = await inject('POST', '/api/credentials', { name: 'Acme', type: 'acme.mail', data });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  credentialId = res.body.id;
  return credentialId;
}

let journeyId = '';
/** A published journey: webhook → email.send through the acme.mail credential. */
async function mailingJourney(): Promise<string> {
  if (journeyId) return journeyId;
  const mail = n('mail', 'email.send', {
    from: 'News <news@example.com>',
    subject: 'Hello from Acme',
    html: '<p>Hello</p>',
    category: 'transactional',
    credential: await credential(),
  });
  const graph = { nodes: [n('hook', 'core.webhook', { secret: SECRET }), mail], edges: [e('hook', 'mail')] };
  const created = await inject('POST', '/api/journeys', { name: 'Acme mail', graph });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect((await inject('POST', `/api/journeys/${created.body.id}/publish`)).status).toBe(201);
  journeyId = created.body.id;
  return journeyId;
}

async function enter(email: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/hooks/${await mailingJourney()}/hook`,
    headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
    payload: { email },
  });
  expect(res.statusCode).toBe(202);
  return res.json().runId as string;
}

async function messageOf(runId: string) {
  return t.runtime.db
    .selectFrom('messages')
    .select(['id', 'status', 'provider_id', 'credential_id', 'contact_id'])
    .where('run_id', '=', runId)
    .executeTakeFirstOrThrow();
}

const requestsTo = (to: string) => acme.requests.filter((r) => JSON.parse(r.body).to === to);

describe("an installed package's sending credential", () => {
  test('is an email credential, its schema given maxPerSecond', async () => {
    const data = { endpoint: acme.url, apiKey: 'acme-key', maxPerSecond: 0 };
    const tooSlow = await inject('POST', '/api/credentials', { name: 'Acme', type: 'acme.mail', data });
    expect(tooSlow.status).toBe(400);
    expect(JSON.stringify(tooSlow.body)).toContain('maxPerSecond');
    const id = await credential();
    const listed = await inject('GET', '/api/credentials');
    const found = listed.body.credentials.find((c: { id: string }) => c.id === id);
    expect(found).toMatchObject({ type: 'acme.mail', channel: 'email' });
  });

  test("email.send delivers through its sender, in the package's thread", async () => {
    acme.answer(() => ({ status: 200, body: { id: 'acme-1' } }));
    const runId = await enter('ada@example.com');
    const { run } = await runEnds(t.runtime.db, runId, undefined, 20_000);
    expect(run.status).toBe('completed');
    const [received] = requestsTo('ada@example.com');
    expect(received?.url).toBe('/send');
    expect(received?.headers.authorization).toBe('Bearer acme-key');
    const body = JSON.parse(received?.body ?? '{}');
    const message = await messageOf(runId);
    // ctx carries the step's idempotency key (the HTTP client sends it too) and the public URL;
    // the thread's environment is empty.
    expect(body).toMatchObject({
      subject: 'Hello from Acme',
      waymark: message.id,
      publicUrl: 'https://waymark.example.com',
      env: 0,
    });
    expect(body.key).toMatch(/.+/);
    expect(received?.headers['idempotency-key']).toBe(body.key);
    expect(message).toMatchObject({ status: 'sent', provider_id: 'acme-1', credential_id: await credential() });
    expect(flags.acmeLoaded).toBeUndefined();
  }, 30_000);

  test('a RetryableError provider.unavailable arrives as such, and the step is retried', async () => {
    let answered = 0;
    acme.answer(() => (++answered === 1 ? { status: 503 } : { status: 200, body: { id: 'acme-2' } }));
    const runId = await enter('bob@example.com');
    const { run, steps } = await runEnds(t.runtime.db, runId, undefined, 20_000);
    expect(run.status).toBe('completed');
    const requests = requestsTo('bob@example.com');
    expect(requests).toHaveLength(2);
    // The same step, so the same idempotency key: the provider can tell a retry.
    expect(JSON.parse(requests[1]?.body ?? '{}').key).toBe(JSON.parse(requests[0]?.body ?? '{}').key);
    expect(steps.find((s) => s.node_id === 'mail')).toBeDefined();
    expect((await messageOf(runId)).status).toBe('sent');
  }, 30_000);

  test('a NodeError provider.rejected fails the step with that code, not retried', async () => {
    acme.answer(() => ({ status: 422 }));
    const runId = await enter('carol@example.com');
    const { run } = await runEnds(t.runtime.db, runId, undefined, 20_000);
    expect(run.status).toBe('failed');
    expect(requestsTo('carol@example.com')).toHaveLength(1);
    const failed = await inject('GET', `/api/runs/${runId}`);
    const step = failed.body.steps.find((s: { nodeId: string }) => s.nodeId === 'mail');
    expect(step.error).toMatchObject({ code: 'provider.rejected' });
    expect(step.error.message).toMatch(/^provider\.rejected: Acme answered 422/);
    expect((await messageOf(runId)).status).toBe('failed');
  }, 30_000);
});

describe('a sender whose thread crashes', () => {
  test('fails its send provider.unavailable, retryable, and the next send goes through', async () => {
    const created = await inject('POST', '/api/credentials', { name: 'Crash', type: 'acme.crashing', data: {} });
    expect(created.status).toBe(201);
    const contactId = await insertContact(t.runtime, { email: 'erin@example.com' });
    const send = (credential: string) => mailThrough(t.runtime, contactId, credential);
    const error = await send(created.body.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ stepCode: 'provider.unavailable', retryable: true });
    expect((error as Error).message).toMatch(
      /^provider\.unavailable: the package's thread crashed: it exited with code 3/,
    );
    acme.answer(() => ({ status: 200, body: { id: 'acme-erin' } }));
    expect(await send(await credential())).toMatchObject({ status: 'sent' });
  }, 30_000);
});

describe("an installed package's event webhook, /hooks/providers/acme", () => {
  const sign = (body: Buffer) => createHmac('sha256', SIGNING_KEY).update(body).digest('hex');
  const post = (body: Buffer, signature: string) =>
    t.app.inject({
      method: 'POST',
      url: '/hooks/providers/acme',
      headers: { 'content-type': 'application/json', 'x-acme-signature': signature },
      payload: body,
    });

  test('a signed delivery and bounce are recorded on the contact; the raw bytes arrive intact', async () => {
    acme.answer(() => ({ status: 200, body: { id: 'acme-dave' } }));
    const runId = await enter('dave@example.com');
    await runEnds(t.runtime.db, runId, undefined, 20_000);
    const message = await messageOf(runId);
    expect(message.provider_id).toBe('acme-dave');
    // Non-ASCII text and spacing a re-encoding would change: the signature covers these bytes.
    const body = Buffer.from(
      `{ "events": [ {"id":"ev-1","kind":"delivered","messageId":"acme-dave","to":"dave@example.com","note":"déjà vu ✓"},
        {"id":"ev-2","kind":"opened","messageId":"acme-dave"},
        {"id":"ev-3","kind":"bounced","messageId":"acme-dave","to":"dave@example.com"} ] }`,
    );
    const res = await post(body, sign(body));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ recorded: 2, duplicates: 0, unmatched: 0, ignored: 1 });
    const contactId = message.contact_id as string;
    expect(await eventsOf(t.runtime, contactId, 'email.delivered')).toHaveLength(1);
    const [bounce] = await eventsOf(t.runtime, contactId, 'email.bounced');
    expect(bounce?.properties).toMatchObject({ messageId: message.id, kind: 'hard', provider: 'acme' });
    // Again: recorded once.
    const again = await post(body, sign(body));
    expect(again.json()).toMatchObject({ recorded: 0, duplicates: 2 });
    expect(flags.acmeLoaded).toBeUndefined();
  }, 30_000);

  test('a badly signed request is refused 401, a body not JSON 400', async () => {
    const body = Buffer.from('{"events":[{"id":"ev-9","kind":"delivered","messageId":"x"}]}');
    const refused = await post(body, sign(Buffer.from(`${body} `)));
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe('unauthorized');
    const notJson = Buffer.from('not json');
    const bad = await post(notJson, sign(notJson));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_json');
  });

  test('its events.answer, run in its thread, answers the body its provider expects instead of the counts', async () => {
    const body = Buffer.from('{"events":[],"thanks":true}');
    const res = await post(body, sign(body));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('thanks');
    expect(flags.acmeLoaded).toBeUndefined();
  });

  test('a verify whose thread crashes answers 503, for the provider to send the request again', async () => {
    const created = await inject('POST', '/api/credentials', {
      name: 'Crash',
      type: 'acme.crashing',
      data: { crash: true },
    });
    expect(created.status).toBe(201);
    // Not signed for acme.mail, so the crashing type's verify is asked too.
    const res = await post(Buffer.from('{"events":[]}'), 'not-a-signature');
    expect(res.statusCode, res.body).toBe(503);
    expect(res.json().error).toMatchObject({ code: 'unavailable' });
    expect(res.json().error.message).toMatch(/thread crashed: it exited with code 4/);
  });
});

describe('credential types refused at install', () => {
  const refused = async (name: string, prefix: string, parts: string) => {
    const creds = `[{ type: '${prefix}.key', title: 'Key', schema: { type: 'object' }, ${parts} }]`;
    const res = await installTarball(
      t,
      await pack(writePackage({ name, prefix, version: '1.0.0', credentials: creds })),
    );
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error.code).toBe('invalid_package');
    return res.json().error.details[0].message as string;
  };

  test("events of another provider than the package's prefix", async () => {
    const parts = "events: { provider: 'postmark', verify: () => true, parse: () => [] }";
    expect(await refused('hijack-nodes', 'hijack', parts)).toContain(
      `hijack.key: events.provider must be the package's prefix "hijack"`,
    );
  });

  test('a sender without send, or of an unknown channel', async () => {
    expect(await refused('nosend-nodes', 'nosend', "sender: { channel: 'email' }")).toContain(
      'nosend.key: sender.send must be a function',
    );
    expect(await refused('fax-nodes', 'fax', "sender: { channel: 'fax', send: async () => ({}) }")).toContain(
      'fax.key: sender.channel must be "email" or "sms"',
    );
  });
});
