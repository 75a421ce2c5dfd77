import { connect, type Socket } from 'node:net';
import { evaluateFilter, type Filter } from '@waymark/sdk';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type InboundSmtp, MAX_CONNECTIONS_PER_ADDRESS, startInboundSmtp } from '../../engine/inbound/smtp-listener.js';
import { compileFilter } from '../../engine/segments/compile.js';
import { type InboundTest, inboundApp } from '../inbound/support.js';

// What an outsider sending a lot, or something odd, may not do: make the server hold an
// unbounded answer in memory, crash a request with a 500, read through an object's prototype,
// or take every inbound SMTP session from one address.

let t: InboundTest;
beforeAll(async () => {
  t = await inboundApp();
});
afterAll(() => t?.close());

const contactCount = async () =>
  (await t.runtime.pool.query('select count(*)::int as n from contacts')).rows[0].n as number;

const importBody = (contentType: string, payload: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/contacts/import',
    headers: { ...t.auth, 'content-type': contentType },
    payload,
  });

describe('an import with many bad rows', () => {
  test('reports only the first 100 failures, counts them all, and imports the good rows', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      lines.push(JSON.stringify({ email: `not-an-email-${i}` }));
      if (i % 100 === 0) lines.push(JSON.stringify({ email: `good-${i}@bulk.example.com` }));
    }
    const before = await contactCount();
    const res = await importBody('application/x-ndjson', lines.join('\n'));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.failed).toHaveLength(100);
    expect(body.failedCount).toBe(20_000);
    expect(body.imported).toBe(200);
    // The first 100 by row number: row 1 is bad, row 2 good, rows 3–101 bad, row 102 good, …
    expect(body.failed[0]).toEqual({ row: 1, field: 'email', error: expect.any(String) });
    expect(body.failed[1].row).toBe(3);
    expect(body.failed[99].row).toBe(101);
    expect(await contactCount()).toBe(before + 200);
    const { rows } = await t.runtime.pool.query(
      "select count(*)::int as n from contacts where email like 'good-%@bulk.example.com'",
    );
    expect(rows[0].n).toBe(200);
  });

  test('a CSV of 20 000 unreadable rows answers 100 failures and the count', async () => {
    const csv = ['email,plan', ...Array.from({ length: 20_000 }, (_, i) => `x${i}@csv.example.com,free,extra`)];
    csv.push('kept@csv.example.com,free');
    const res = await importBody('text/csv', csv.join('\n'));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.failed).toHaveLength(100);
    expect(body.failed.map((f: { row: number }) => f.row)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(body.failedCount).toBe(20_000);
    expect(body.imported).toBe(1);
    const { rows } = await t.runtime.pool.query(
      "select count(*)::int as n from contacts where email like '%@csv.example.com'",
    );
    expect(rows[0].n).toBe(1);
  });

  test('the OpenAPI document lists failedCount in the import answer', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json', headers: t.auth })).json();
    const answer = doc.paths['/api/contacts/import'].post.responses['200'].content['application/json'].schema;
    expect(answer.properties.failedCount).toMatchObject({ type: 'integer' });
    expect(answer.required).toContain('failedCount');
    expect(answer.properties.failed.maxItems).toBe(100);
  });
});

const segment = (filter: unknown) =>
  t.app.inject({
    method: 'GET',
    url: `/api/contacts?segment=${encodeURIComponent(JSON.stringify(filter))}`,
    headers: t.auth,
  });

/** `{ not: { not: … clause … } }`, `levels` clauses deep in all. */
const nested = (levels: number): Filter => {
  let f: Filter = { attr: 'plan', op: 'exists' };
  for (let i = 1; i < levels; i++) f = { not: f };
  return f;
};

describe('a segment filter', () => {
  beforeAll(async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: t.auth,
      payload: { email: 'owns-tostring@filter.example.com', attributes: { toString: 'mine', plan: 'pro' } },
    });
  });

  test('32 levels deep is answered; 33 levels deep is 400 naming the clause too deep', async () => {
    expect((await segment(nested(32))).statusCode).toBe(200);
    const res = await segment(nested(33));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect(res.json().error.details).toEqual([
      { path: '/not'.repeat(32), message: expect.stringMatching(/32 levels/) },
    ]);
  });

  test('10 000 levels deep is a 400 too, not a stack overflow', async () => {
    const deep = `${'{"not":'.repeat(9_999)}{"attr":"plan","op":"exists"}${'}'.repeat(9_999)}`;
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/contacts?segment=${encodeURIComponent(deep)}`,
      headers: t.auth,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('/not'.repeat(32));
  });

  test.each([
    ['constructor', { attr: 'constructor', op: 'exists' }, '/attr'],
    [
      '__proto__',
      {
        all: [
          { attr: 'plan', op: 'exists' },
          { attr: '__proto__', op: 'exists' },
        ],
      },
      '/all/1/attr',
    ],
    ['prototype', { any: [{ not: { attr: 'prototype', op: 'eq', value: 1 } }] }, '/any/0/not/attr'],
    ['a path into Object.prototype', { attr: 'constructor.name', op: 'eq', value: 'Object' }, '/attr'],
    ['a nested __proto__', { attr: 'profile.__proto__.polluted', op: 'exists' }, '/attr'],
    [
      'an event property',
      { event: 'purchase', op: 'count', where: { attr: 'constructor.prototype', op: 'exists' } },
      '/where/attr',
    ],
  ])('naming %s is 400 with the JSON pointer, and nothing is read or changed', async (_name, filter, pointer) => {
    const before = await contactCount();
    const res = await segment(filter);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: pointer, message: expect.stringMatching(/names no field/) }],
    });
    expect(await contactCount()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('an attribute named like an Object method is an attribute: only its owner matches', async () => {
    for (const attr of ['toString', 'hasOwnProperty', 'valueOf.length']) {
      const res = await segment({ attr, op: 'exists' });
      expect(res.statusCode).toBe(200);
      expect(res.json().contacts.map((c: { email: string }) => c.email)).toEqual(
        attr === 'toString' ? ['owns-tostring@filter.example.com'] : [],
      );
    }
  });

  test('the SQL compiler reads no prototype either, even given an unvalidated filter', async () => {
    for (const attr of ['constructor', '__proto__', 'toString']) {
      const where = compileFilter({ attr, op: 'exists' }, { now: new Date() });
      const { rows } = await sql<{ email: string }>`select c.email from contacts c where ${where}`.execute(
        t.runtime.db,
      );
      expect(rows.map((r) => r.email)).toEqual(attr === 'toString' ? ['owns-tostring@filter.example.com'] : []);
    }
  });

  test('the in-memory evaluator never reads prototype properties', () => {
    const contact = {
      id: 'c1',
      email: 'x@example.com',
      phone: null,
      externalId: null,
      timezone: null,
      attributes: { plan: 'pro' },
      consent: { email: { status: 'unknown' }, sms: { status: 'unknown' } },
      tags: [],
      lists: [],
      createdAt: '',
      updatedAt: '',
    } as unknown as Parameters<typeof evaluateFilter>[1]['contact'];
    const data = { contact, now: new Date(), trigger: {}, steps: {} };
    const probes = [
      { attr: 'constructor', op: 'exists' },
      { attr: '__proto__', op: 'exists' },
      { attr: 'toString', op: 'exists' },
      { attr: 'constructor.name', op: 'eq', value: 'Object' },
      { attr: 'plan.length', op: 'eq', value: 3 },
      { trigger: 'constructor', op: 'exists' },
      { trigger: '__proto__.toString', op: 'exists' },
      { step: 'constructor', path: '', op: 'exists' },
      { step: 'hasOwnProperty', path: 'name', op: 'exists' },
    ] as Filter[];
    for (const f of probes) expect(evaluateFilter(f, data)).toBe(false);
    // An `all` inherited from a prototype is no clause: only own keys make one.
    const inherited = Object.create({ all: [] }) as Filter;
    expect(evaluateFilter(inherited, data)).toBe(false);
    expect(evaluateFilter({ attr: 'plan', op: 'eq', value: 'pro' }, data)).toBe(true);
  });
});

describe('a journey filter', () => {
  const graphWith = (filter: unknown) => ({
    name: 'Filter attack',
    graph: {
      nodes: [
        {
          id: 'hook',
          type: 'core.webhook',
          version: 1,
          params: { secret: 'a-webhook-secret-0123456789' },
          position: { x: 0, y: 0 },
        },
        { id: 'cond', type: 'core.condition', version: 1, params: { filter }, position: { x: 0, y: 100 } },
      ],
      edges: [{ id: 'e1', source: 'hook', sourceHandle: 'out', target: 'cond' }],
    },
  });

  test.each([
    ['33 levels deep', nested(33), `/filter${'/not'.repeat(32)}`],
    ['a prototype key', { all: [{ trigger: 'body.__proto__', op: 'exists' }] }, '/filter/all/0/trigger'],
  ])('%s cannot be published: 422 naming the pointer, no version stored', async (_name, filter, pointer) => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: t.auth,
      payload: graphWith(filter),
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    const res = await t.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: t.auth });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('invalid_graph');
    expect(res.json().error.details).toContainEqual(expect.objectContaining({ nodeId: 'cond', path: pointer }));
    const { rows } = await t.runtime.pool.query(
      'select count(*)::int as n from journey_versions where journey_id = $1',
      [id],
    );
    expect(rows[0].n).toBe(0);
  });
});

/** A raw SMTP client: resolves with the server's first reply line. */
function openSession(port: number): Promise<{ socket: Socket; greeting: string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\r\n')) resolve({ socket, greeting: text.split('\r\n')[0] ?? '', closed });
    });
    socket.once('error', reject);
  });
}

describe('the inbound SMTP listener', () => {
  let listener: InboundSmtp;
  beforeAll(async () => {
    listener = await startInboundSmtp(t.runtime, { port: 0, host: '127.0.0.1' });
  });
  afterAll(() => listener?.close());

  test(`one address holds at most ${MAX_CONNECTIONS_PER_ADDRESS} sessions; the next is answered 421 and closed`, async () => {
    const sessions = [];
    for (let i = 0; i < MAX_CONNECTIONS_PER_ADDRESS; i++) sessions.push(await openSession(listener.port));
    for (const s of sessions) expect(s.greeting).toMatch(/^220 /);

    const excess = await openSession(listener.port);
    expect(excess.greeting).toMatch(/^421 /);
    await excess.closed; // the listener hangs up on it

    // One session ends (QUIT): its slot is free again.
    const first = sessions.shift();
    first?.socket.write('QUIT\r\n');
    await first?.closed;
    let again = await openSession(listener.port);
    for (let i = 0; i < 20 && !again.greeting.startsWith('220'); i++) {
      // The close reaches the listener's bookkeeping a tick after the client sees it.
      await new Promise((r) => setTimeout(r, 50));
      again = await openSession(listener.port);
    }
    expect(again.greeting).toMatch(/^220 /);

    // The sessions still work: a recipient of another domain is refused as before.
    const [live] = sessions;
    const replies: string[] = [];
    live?.socket.on('data', (chunk: Buffer) => replies.push(chunk.toString('utf8')));
    live?.socket.write(`EHLO client.example.com\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<sales@example.com>\r\n`);
    await expect.poll(() => replies.join('')).toMatch(/^550 /m);

    for (const s of [...sessions, again]) s.socket.destroy();
    const { rows } = await t.runtime.pool.query("select count(*)::int as n from events where name like 'email.%'");
    expect(rows[0].n).toBe(0);
  });

  test('the limit is an option of the listener', async () => {
    const strict = await startInboundSmtp(t.runtime, { port: 0, host: '127.0.0.1', maxConnectionsPerAddress: 1 });
    try {
      const one = await openSession(strict.port);
      expect(one.greeting).toMatch(/^220 /);
      expect((await openSession(strict.port)).greeting).toMatch(/^421 4\.7\.0 /);
      one.socket.destroy();
    } finally {
      await strict.close();
    }
  });
});
