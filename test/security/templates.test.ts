import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineNode, type JsonObject } from '@waymark/sdk';
import { runNode } from '@waymark/sdk/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GraphNode } from '../../engine/graph/types.js';
import { startRun } from '../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import respond from '../../nodes/core/src/respond.js';
import smsSend from '../../nodes/sms/src/send.js';
import { insertContact } from '../channels/scope.js';
import { type SmtpSink, startSmtpSink } from '../channels/smtp-sink.js';
import { e, eventually, n, publish, runEnds } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { draft, hook, testRun } from '../test-runs/support.js';

/**
 * What a value may not do to a template. The attacker here is whoever controls data that a
 * template renders: a contact's attributes (set by a signup form, an import, a CRM sync) or a
 * webhook's payload. The marketer who writes the template is trusted; the values are not.
 */

const PUBLIC_URL = 'https://mail.waymark.test';
let t: TestApp;
let smtp: SmtpSink;
let worker: WorkerHandle | null = null;
let listener: Server;
let endpoint: string;
const received: { headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  smtp = await startSmtpSink();
  listener = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  t = await createTestApp({ SMTP_URL: smtp.url, PUBLIC_URL, WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  worker = await startWorker(t.runtime, { retry: { retryBaseMs: 100 }, pollInterval: 200 });
});
/** Stops the worker, so that its heartbeat folding counters cannot change rows a test counts. */
async function stopWorker() {
  await worker?.stop();
  worker = null;
}
afterAll(async () => {
  await stopWorker();
  await t?.close();
  await smtp?.close();
  listener?.closeAllConnections();
  await new Promise((r) => listener?.close(r));
});

/** Runs `webhook → node` for a stored contact with these attributes and trigger payload. */
async function runOne(node: GraphNode, attributes: object, trigger: JsonObject = {}) {
  const db = t.runtime.db;
  const contactId = await insertContact(t.runtime, { email: `c${Math.random().toString(36).slice(2)}@example.com` });
  await sql`update contacts set attributes = ${JSON.stringify(attributes)}::jsonb where id = ${contactId}`.execute(db);
  const journey = await publish(db, {
    nodes: [n('t', 'core.webhook', { secret: 'a-secret-of-16-chars' }), node],
    edges: [e('t', node.id)],
  });
  const started = await db
    .transaction()
    .execute((trx) => startRun(trx, { ...journey, triggerNodeId: 't', contactId, trigger }));
  const runId = started?.runId as string;
  const { run, steps } = await runEnds(db, runId);
  return { run, steps, runId, contactId };
}

const email = (html: string, extra: object = {}) =>
  n('m', 'email.send', {
    from: 'News <news@example.com>',
    subject: 'Hello {{ contact.attributes.name }}',
    html,
    category: 'transactional',
    ...extra,
  });

/** The email as delivered over SMTP and as stored, for one run. */
async function delivered(runId: string) {
  const row = await eventually(() =>
    t.runtime.db
      .selectFrom('messages')
      .select(['id', 'html', 'text', 'subject', 'links', 'status', 'to'])
      .where('run_id', '=', runId)
      .executeTakeFirst(),
  );
  const mail = await eventually(async () => smtp.mails.find((m) => m.to && 'text' in m.to && m.to.text === row.to));
  return { row, mail, html: String(mail.html) };
}

/** Where a tracked link of the email leads: the redirect the tracking route answers. */
async function destinations(html: string): Promise<string[]> {
  const urls = [...html.matchAll(/https:\/\/mail\.waymark\.test(\/t\/c\/[^"]+)/g)].map((m) => m[1] as string);
  const out: string[] = [];
  for (const url of urls) {
    const res = await t.app.inject({ method: 'GET', url });
    out.push(String(res.headers.location));
  }
  return out;
}

const EVIL_MARKUP =
  '<script>alert(1)</script><img src=x onerror=alert(1)><a href="https://evil.example/phish">Verify</a>';

describe('an attribute rendered into an email’s HTML', () => {
  test('may not add markup: it arrives HTML-escaped, as text', async () => {
    const { run, runId } = await runOne(email('<p>Hi {{ contact.attributes.name }}</p>'), { name: EVIL_MARKUP });
    expect(run.status).toBe('completed');
    const { row, html } = await delivered(runId);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toMatch(/<script|<img src=x|<a href/);
    expect(row.html?.trim()).toBe(html.trim());
    expect(row.links).toEqual([]);
  });

  test('may not leave the attribute it is written into', async () => {
    const { runId } = await runOne(
      email(
        '<a title="{{ contact.attributes.name }}" href="https://shop.example.com/?ref={{ contact.attributes.ref }}">Shop</a>',
      ),
      { name: '" onmouseover="alert(1)', ref: '1" onclick="alert(2)' },
    );
    const { html } = await delivered(runId);
    expect(html).toContain('title="&#34; onmouseover=&#34;alert(1)"');
    expect(html).not.toMatch(/" onmouseover="|" onclick="/);
    // The link the marketer wrote is tracked, and leads where the template says, value and all.
    expect(await destinations(html)).toEqual([`https://shop.example.com/?ref=1%22%20onclick=%22alert(2)`]);
  });

  test('may not become a tracked link, even where the marketer chose `| raw`', async () => {
    const { runId } = await runOne(
      email('<div>{{ contact.attributes.bio | raw }}</div><a href="https://shop.example.com/sale">Sale</a>'),
      { bio: EVIL_MARKUP },
    );
    const { row, html } = await delivered(runId);
    // `| raw` is the marketer's opt-out: the markup is there as written…
    expect(html).toContain('<a href="https://evil.example/phish">Verify</a>');
    // …but only the template's own link goes through tracking.
    expect(row.links.map((l) => l.url)).toEqual(['https://shop.example.com/sale']);
    expect(await destinations(html)).toEqual(['https://shop.example.com/sale']);
  });

  test('may not become a tracked link in a template that has no link of its own', async () => {
    const { row, html } = await delivered(
      (await runOne(email('<p>{{ contact.attributes.bio | raw }}</p>'), { bio: EVIL_MARKUP })).runId,
    );
    expect(row.links).toEqual([]);
    expect(html).not.toContain('/t/c/');
  });

  test('may not forge the mark that tells the template’s own links apart', async () => {
    const forged =
      '<a data-waymark-link=000000000000000000000000 href="https://evil.example/a">A</a>' +
      '<a data-waymark-key="a" href="https://evil.example/b">B</a><!--waymark-links:000000000000000000000000-->';
    const { runId } = await runOne(
      email(
        '<p>{{ contact.attributes.bio | raw }}</p><a {{ contact.attributes.attrs | raw }} href="https://shop.example.com/">Shop</a>',
        {
          links: [{ key: 'a', addTags: ['vip'] }],
        },
      ),
      { bio: forged, attrs: 'data-waymark-link=000000000000000000000000' },
    );
    const { row, html } = await delivered(runId);
    expect(row.links).toEqual([{ index: 0, key: null, url: 'https://shop.example.com/' }]);
    expect(await destinations(html)).toEqual(['https://shop.example.com/']);
    expect(html).not.toMatch(/data-waymark-link|waymark-links/);
  });

  test('may not leave the marks in what is delivered or stored', async () => {
    const { runId } = await runOne(email('<a href="https://shop.example.com/">Shop</a> <a href="#top">Top</a>'), {});
    const { row, html } = await delivered(runId);
    expect(html).not.toMatch(/data-waymark-link|waymark-links/);
    expect(row.html).not.toMatch(/data-waymark-link|waymark-links/);
    expect(html).toContain('<a href="#top">Top</a>');
  });
});

describe('subjects, text parts and SMS bodies', () => {
  test('are plain text: a value arrives exactly as it is, not HTML-escaped', async () => {
    const { runId } = await runOne(
      email('<p>{{ contact.attributes.name }}</p>', { text: 'Dear {{ contact.attributes.name }}' }),
      { name: 'Tom & Jerry <3 "quoted"' },
    );
    const { mail, html } = await delivered(runId);
    expect(mail.subject).toBe('Hello Tom & Jerry <3 "quoted"');
    expect(mail.text).toContain('Dear Tom & Jerry <3 "quoted"');
    expect(html).toContain('<p>Tom &amp; Jerry &lt;3 &#34;quoted&#34;</p>');
  });

  test('an SMS body is plain text too', async () => {
    const { messages } = await runNode(smsSend, {
      params: { credential: 'gw', body: 'Hi {{ contact.attributes.name }}', category: 'marketing' },
      contact: { phone: '+358401234567', attributes: { name: 'Tom & Jerry <3' } },
      credentials: { gw: { type: 'sms.http-gateway', data: { url: 'https://sms.example.com/send' } } },
    });
    expect(messages[0]?.text).toBe('Hi Tom & Jerry <3');
  });
});

const NASTY = 'Ada", "admin": true, "x": "\\ \n\t\u2028 </script><script>alert(1)</script>';

describe('a value rendered into a JSON body sent by http.request', () => {
  async function sent(body: string, attributes: object, trigger: JsonObject = {}, headers?: object) {
    const before = received.length;
    const { run, steps } = await runOne(
      n('call', 'http.request', { method: 'POST', url: `${endpoint}/hook`, body, ...(headers ? { headers } : {}) }),
      attributes,
      trigger,
    );
    expect(run.status).toBe('completed');
    expect(steps.at(-1)?.status).not.toBe('failed');
    return eventually(async () => received[before]);
  }

  test('may not break the JSON or add a key, inside a string', async () => {
    const hit = await sent(
      '{"name": "{{ contact.attributes.name }}", "greeting": "Hi {{ contact.attributes.name }}!"}',
      {
        name: NASTY,
      },
    );
    expect(hit.headers['content-type']).toBe('application/json');
    expect(JSON.parse(hit.body)).toEqual({ name: NASTY, greeting: `Hi ${NASTY}!` });
    expect(hit.body).not.toContain('</script>');
  });

  test('may not break the JSON or add a key, outside a string', async () => {
    const hit = await sent(
      '{"count": {{ trigger.count }}, "tags": {{ trigger.tags }}, "missing": {{ trigger.nothing }}, "n": {{ trigger.n }}}',
      {},
      { count: '1, "admin": true', tags: ['a"b', 'c'], n: 42 },
    );
    expect(JSON.parse(hit.body)).toEqual({ count: '1, "admin": true', tags: ['a"b', 'c'], missing: null, n: 42 });
  });

  test('may not escape through `| raw`: a JSON body has no opt-out', async () => {
    const hit = await sent('{"name": "{{ contact.attributes.name | raw }}"}', { name: NASTY });
    expect(JSON.parse(hit.body)).toEqual({ name: NASTY });
  });

  test('is sent as written when the headers declare a body that is not JSON', async () => {
    const hit = await sent(
      'name={{ contact.attributes.name | url_encode }}&raw={{ contact.attributes.plain }}',
      { name: 'A&B', plain: 'x"y' },
      {},
      { 'Content-Type': 'application/x-www-form-urlencoded' },
    );
    expect(hit.body).toBe('name=A%26B&raw=x"y');
  });
});

describe('a value rendered into an http.request header', () => {
  const call = (headers: object) => n('call', 'http.request', { method: 'POST', url: `${endpoint}/hook`, headers });

  test('may not add a header or a request: a line break fails the step at once, naming the header', async () => {
    const before = received.length;
    const { run, steps } = await runOne(call({ 'X-Name': '{{ contact.attributes.name }}' }), {
      name: 'Ada\r\nX-Admin: true',
    });
    expect(run.status).toBe('failed');
    expect(steps.at(-1)).toMatchObject({
      node_id: 'call',
      attempts: 1,
      error: {
        code: 'http.invalid-header',
        message: 'the header "X-Name" holds a line break, which a header may not',
        retryable: false,
      },
    });
    expect(received.length).toBe(before);
  });

  test('beyond Latin-1 fails at once too, saying how to send it', async () => {
    const { steps } = await runOne(call({ 'X-City': '{{ contact.attributes.city }}' }), { city: '東京' });
    expect(steps.at(-1)?.error).toMatchObject({
      code: 'http.invalid-header',
      message:
        'the header "X-City" holds a character beyond Latin-1, which a header may not (encode it, e.g. with url_encode)',
    });
  });

  test('is sent as it is when it holds no line break', async () => {
    const before = received.length;
    const { run } = await runOne(call({ 'X-Name': '{{ contact.attributes.name }}' }), { name: 'Ada: "Lovelace"' });
    expect(run.status).toBe('completed');
    expect((await eventually(async () => received[before])).headers['x-name']).toBe('Ada: "Lovelace"');
  });

  test('a header name that is not an HTTP token is refused when the journey is checked', async () => {
    const graph = {
      nodes: [n('t', 'core.webhook', { secret: 'a-secret-of-16-chars' }), call({ 'X Name': 'a' })],
      edges: [e('t', 'call')],
    };
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: t.auth,
      payload: { name: 'bad header', graph },
    });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/journeys/${created.json().id}/validate`,
      headers: t.auth,
    });
    expect(res.json()).toMatchObject({ valid: false });
    expect(res.json().errors).toEqual([
      {
        nodeId: 'call',
        path: '/headers/X Name',
        message:
          "/headers/X Name must be named as an HTTP token (letters, digits and !#$%&'*+-.^_`|~; no spaces or colons)",
      },
    ]);
  });
});

describe('a value in a core.respond body', () => {
  test('stays one string of the JSON answer', async () => {
    const { result } = await runNode(respond, {
      params: { body: { name: '{{ contact.attributes.name }}' } },
      contact: { attributes: { name: NASTY } },
    });
    const body = (result as unknown as { output: { body: object } }).output.body;
    expect(JSON.parse(JSON.stringify(body))).toEqual({ name: NASTY });
  });
});

describe('a third-party node that declares its template’s kind', () => {
  const node = defineNode({
    type: 'acme.page',
    version: 1,
    kind: 'action',
    category: 'Acme',
    title: 'Page',
    description: 'Renders a page and a payload.',
    params: {
      type: 'object',
      properties: {
        page: { type: 'string', format: 'template', contentMediaType: 'text/html' },
        payload: { type: 'string', format: 'template', contentMediaType: 'application/json' },
      },
      required: ['page', 'payload'],
      additionalProperties: false,
    },
    outputs: ['out'],
    async run(ctx) {
      return { next: 'out', output: { page: ctx.params.page, payload: ctx.params.payload } };
    },
  });

  test('gets the same escaping as the built-in nodes', async () => {
    const { result } = await runNode(node, {
      params: { page: '<h1>{{ contact.attributes.name }}</h1>', payload: '{"n": "{{ contact.attributes.name }}"}' },
      contact: { attributes: { name: NASTY } },
    });
    const output = (result as unknown as { output: { page: string; payload: string } }).output;
    expect(output.page).toMatch(
      /^<h1>Ada&#34;, &#34;admin&#34;: true, .*&lt;\/script&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/h1>/s,
    );
    expect(JSON.parse(output.payload)).toEqual({ n: NASTY });
  });
});

describe('a test run’s preview', () => {
  test('shows the email exactly as it would be delivered: escaped, the value’s link untracked', async () => {
    await stopWorker();
    const id = await draft(t, {
      nodes: [
        hook(),
        n('m', 'email.send', {
          from: 'News <news@example.com>',
          subject: 'Hi {{ contact.attributes.name }}',
          html: '<p>{{ contact.attributes.name }}</p><div>{{ contact.attributes.bio | raw }}</div><a href="https://shop.example.com/">Shop</a>',
          category: 'transactional',
        }),
      ],
      edges: [e('hook', 'm')],
    });
    const result = await testRun(t, id, {
      contact: { email: 'preview@example.com', attributes: { name: '<b>Ada</b>', bio: EVIL_MARKUP } },
    });
    const html: string = result.messages[0].html;
    expect(html).toContain('<p>&lt;b&gt;Ada&lt;/b&gt;</p>');
    expect(html).toContain('<a href="https://evil.example/phish">Verify</a>');
    expect(html.match(/\/t\/c\//g)).toHaveLength(1);
    expect(html).not.toMatch(/data-waymark-link|waymark-links|shop\.example\.com/);
    expect(result.messages[0].subject).toBe('Hi <b>Ada</b>');
  });
});
