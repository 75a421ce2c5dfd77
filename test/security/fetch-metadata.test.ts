import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../server/app.js';
import { insertContact, sendMarketingEmail } from '../channels/scope.js';
import { type Answer, answers, rawExchange, wire } from '../support/raw-http.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { type Browser, defaultWorkspace, makeUser, signIn } from '../teams/support.js';

// Fetch Metadata: a page on another site can make a signed-in browser send a GET to /api with
// its SameSite=Lax cookie (a link, a top-level navigation). It cannot read the answer, but the
// route runs: an export, its audit entry in the user's name. A request the session cookie
// authenticates is refused when its browser says another site made it; a Bearer token never is.

const editorDir = fileURLToPath(new URL('../../editor/', import.meta.url));
let t: TestApp;
let port: number;
let owner: Browser;
let contactId: string;

beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://w.example.com' });
  await makeUser(t.runtime.db, 'owner@example.com', await defaultWorkspace(t.runtime.db), 'owner');
  owner = await signIn(t.app, 'owner@example.com');
  contactId = await insertContact(t.runtime, { email: 'exported-person@example.com' });
  port = Number(new URL(await t.app.listen({ port: 0, host: '127.0.0.1' })).port);
});
afterAll(() => t.close());

/** One request over a real connection to `to`'s port (the test app's unless given). */
async function send(method: string, path: string, headers: Record<string, string>, to = port): Promise<Answer> {
  return answers(await rawExchange(to, wire(method, path, headers)))[0] as Answer;
}

const asOwner = (site?: string) => ({ cookie: owner.cookie, ...(site ? { 'sec-fetch-site': site } : {}) });
const exportPath = () => `/api/contacts/${contactId}/export`;

/** The audit entries of the contact's exports so far. */
async function exportsAudited() {
  return t.runtime.db
    .selectFrom('audit_log')
    .select(['actor'])
    .where('object_id', '=', contactId)
    .where('action', '=', 'contact.exported')
    .execute();
}

describe('a GET to /api authenticated by the session cookie', () => {
  test('made by another site (Sec-Fetch-Site: cross-site) is refused 403 forbidden: no export, no audit entry', async () => {
    const before = (await exportsAudited()).length;
    const res = await send('GET', exportPath(), asOwner('cross-site'));
    expect(res.status).toBe(403);
    const { error } = JSON.parse(res.body);
    expect(error.code).toBe('forbidden');
    expect(error.message).toMatch(/came from another site .*open it from Waymark itself/);
    expect(res.body).not.toContain('exported-person');
    expect((await exportsAudited()).length).toBe(before);
  });

  test('made by another host of the same site (Sec-Fetch-Site: same-site) is refused the same way', async () => {
    const before = (await exportsAudited()).length;
    const res = await send('GET', exportPath(), asOwner('same-site'));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.message).toMatch(/another host of this site .*open it from Waymark itself/);
    expect((await exportsAudited()).length).toBe(before);
  });

  test('with a Sec-Fetch-Site no browser sends is refused', async () => {
    const res = await send('GET', exportPath(), asOwner('elsewhere'));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('forbidden');
  });

  test('made by Waymark itself (same-origin) answers the export and audits it in the user’s name', async () => {
    const before = (await exportsAudited()).length;
    const res = await send('GET', exportPath(), asOwner('same-origin'));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).contact.email).toBe('exported-person@example.com');
    const after = await exportsAudited();
    expect(after.length).toBe(before + 1);
    expect(after.map((e) => e.actor)).toContainEqual(expect.objectContaining({ type: 'user', id: owner.userId }));
  });

  test('opened from a typed URL or a bookmark (Sec-Fetch-Site: none) answers the export', async () => {
    expect((await send('GET', exportPath(), asOwner('none'))).status).toBe(200);
  });

  test('without Sec-Fetch headers (curl, an older browser) answers the export', async () => {
    const res = await send('GET', exportPath(), asOwner());
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).contact.id).toBe(contactId);
  });

  test('of an ordinary list (GET /api/journeys) made by another site is refused 403 forbidden', async () => {
    const res = await send('GET', '/api/journeys', asOwner('cross-site'));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('forbidden');
    expect((await send('GET', '/api/journeys', asOwner('same-origin'))).status).toBe(200);
  });
});

describe('a HEAD of the export', () => {
  test('made by another site is refused 403, as its GET is', async () => {
    expect((await send('HEAD', exportPath(), asOwner('cross-site'))).status).toBe(403);
  });

  test('made by Waymark itself answers 200 and writes no audit entry: no body leaves', async () => {
    const before = (await exportsAudited()).length;
    expect((await send('HEAD', exportPath(), asOwner('same-origin'))).status).toBe(200);
    expect((await exportsAudited()).length).toBe(before);
  });
});

describe('a Bearer token', () => {
  test('made by another site is answered: the policy is the cookie’s alone', async () => {
    const before = (await exportsAudited()).length;
    const res = await send('GET', exportPath(), { ...t.auth, 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(200);
    expect((await exportsAudited()).length).toBe(before + 1);
  });

  test('sent with the session cookie from another site is answered as the token (the cookie is ignored)', async () => {
    const res = await send('GET', '/api/auth/me', { ...t.auth, ...asOwner('cross-site') });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).principal.type).toBe('token');
  });
});

describe('a state-changing cookie request from another site', () => {
  test('without its X-CSRF-Token still answers 403 csrf_failed and makes nothing', async () => {
    const res = await send('POST', '/api/journeys', asOwner('cross-site'));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('csrf_failed');
  });

  test('even with its X-CSRF-Token is refused 403 forbidden', async () => {
    const res = await send('POST', '/api/auth/sign-out', { ...asOwner('cross-site'), 'x-csrf-token': owner.csrfToken });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('forbidden');
    expect((await send('GET', '/api/auth/me', asOwner('same-origin'))).status).toBe(200);
  });
});

describe('pages outside /api, sent the session cookie by another site', () => {
  let withEditor: FastifyInstance;
  let editorPort: number;
  beforeAll(async () => {
    if (!existsSync(`${editorDir}dist/index.html`))
      await build({ configFile: `${editorDir}vite.config.ts`, logLevel: 'error' });
    withEditor = await buildApp(t.runtime, { serveEditor: true });
    editorPort = Number(new URL(await withEditor.listen({ port: 0, host: '127.0.0.1' })).port);
  }, 120_000);
  afterAll(() => withEditor?.close());

  test.each(['/', '/contacts', '/setup/some-code', '/sign-in', '/docs'])(
    '%s is served as it is to Waymark itself',
    async (path) => {
      const res = await send('GET', path, asOwner('cross-site'), editorPort);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
    },
  );

  test('a mail’s tracked link, open pixel and unsubscribe page are answered', async () => {
    const mail = await sendMarketingEmail(t.runtime);
    const clicked = await send('GET', mail.click, asOwner('cross-site'));
    expect(clicked.status).toBe(302);
    expect(clicked.headers.location).toBe('https://shop.example.com/a');
    expect((await send('GET', mail.open, asOwner('cross-site'))).status).toBe(200);
    expect((await send('GET', mail.unsubscribe, asOwner('cross-site'))).status).toBe(200);
  });
});
