import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n, publish, testPackage } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

// What an outsider sending too much may not do: get anything stored or started, or leave a
// client unsure what happened. Every route with a body limit answers 413 `payload_too_large`,
// and an ordinary client (Node's own fetch, which keeps sending while the answer arrives)
// reads that answer instead of a reset connection.

const run = promisify(execFile);
const MiB = 1024 * 1024;
const SECRET = 'a-webhook-secret-of-some-length';
const INBOUND_SECRET = 'an-inbound-secret-of-some-length';

let t: TestApp;
let base: string;
let journeyId: string;

beforeAll(async () => {
  t = await createTestApp({ INBOUND_SECRET });
  t.runtime.registry.add(testPackage);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const j = await publish(t.runtime.db, {
    nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('a', 'tst.step')],
    edges: [e('hook', 'a')],
  });
  journeyId = j.journeyId;
});
afterAll(() => t?.close());

/** A request as the client process builds it: its body is `prefix + fill × bytes + suffix`. */
interface Call {
  path: string;
  headers: Record<string, string>;
  body: { prefix?: string; fill?: string; bytes: number; suffix?: string };
  /** Sent in 64 KiB chunks without a Content-Length. */
  stream?: boolean;
  /** Also read the error's message. */
  withMessage?: boolean;
}
type Answer = { status: number; code?: string; message?: string } | { failed: string };

// The client runs in a process of its own, as a real client does: in the server's own event
// loop, fetch and the server take turns and never race as they do over a real network.
const CLIENT = `
const [base, calls, concurrent] = JSON.parse(process.argv[1]);
const bodyOf = ({ prefix = '', fill = 'x', bytes, suffix = '' }) => prefix + fill.repeat(bytes) + suffix;
function streamOf(text) {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + 65536));
      at += 65536;
    },
  });
}
async function one(call) {
  try {
    const text = bodyOf(call.body);
    const init = { method: 'POST', headers: call.headers, body: call.stream ? streamOf(text) : text };
    if (call.stream) init.duplex = 'half';
    const res = await fetch(base + call.path, init);
    const answer = await res.text();
    const json = res.headers.get('content-type')?.startsWith('application/json');
    const error = json ? JSON.parse(answer).error : undefined;
    return { status: res.status, code: error?.code, ...(call.withMessage ? { message: error?.message } : {}) };
  } catch (error) {
    return { failed: String(error.cause ?? error) };
  }
}
const answers = [];
if (concurrent) answers.push(...(await Promise.all(calls.map(one))));
else for (const call of calls) answers.push(await one(call));
process.stdout.write(JSON.stringify(answers));
`;

/** What Node's global fetch, in a separate process, read for each call (one after another, or all at once). */
async function fetchAll(calls: Call[], options: { concurrent?: boolean } = {}): Promise<Answer[]> {
  const { stdout } = await run(process.execPath, [
    '--input-type=module',
    '-e',
    CLIENT,
    JSON.stringify([base, calls, options.concurrent ?? false]),
  ]);
  return JSON.parse(stdout) as Answer[];
}

const times = (k: number, call: Call) => Array.from({ length: k }, () => call);
const tooLarge = (k: number) => Array.from({ length: k }, () => ({ status: 413, code: 'payload_too_large' }));

const hook = (bytes: number, headers: Record<string, string> = { 'x-waymark-secret': SECRET }): Call => ({
  path: `/hooks/${journeyId}/hook`,
  headers: { 'content-type': 'application/json', ...headers },
  body: { prefix: '{"email":"big@example.com","blob":"', bytes, suffix: '"}' },
});

const count = async (table: 'runs' | 'events' | 'contacts') =>
  Number(
    (
      await t.runtime.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('a body over the route’s limit gets 413 payload_too_large, read by Node’s fetch', () => {
  test('20 webhook calls with a 2 MiB body each read 413 and start no run', async () => {
    const runsBefore = await count('runs');
    expect(await fetchAll(times(20, hook(2 * MiB)))).toEqual(tooLarge(20));
    expect(await count('runs')).toBe(runsBefore);
  });

  test('10 concurrent webhook calls with a 4 MiB body each read 413', async () => {
    expect(await fetchAll(times(10, hook(4 * MiB)), { concurrent: true })).toEqual(tooLarge(10));
  });

  test('a streamed webhook body (no Content-Length) over 1 MiB reads 413 and starts no run', async () => {
    const runsBefore = await count('runs');
    expect(await fetchAll(times(5, { ...hook(3 * MiB), stream: true }))).toEqual(tooLarge(5));
    expect(await count('runs')).toBe(runsBefore);
  });

  test('a webhook call without the secret and a 2 MiB body reads 413, never a reset', async () => {
    const runsBefore = await count('runs');
    expect(await fetchAll(times(5, hook(2 * MiB, {})))).toEqual(tooLarge(5));
    expect(await count('runs')).toBe(runsBefore);
  });

  test('POST /api/events with a 2 MiB body reads 413 and stores nothing', async () => {
    const [events, contacts] = [await count('events'), await count('contacts')];
    const call: Call = {
      path: '/api/events',
      headers: { 'content-type': 'application/json', ...t.auth },
      body: {
        prefix: '{"email":"big@example.com","name":"huge","properties":{"blob":"',
        bytes: 2 * MiB,
        suffix: '"}}',
      },
    };
    expect(await fetchAll(times(10, call))).toEqual(tooLarge(10));
    expect([await count('events'), await count('contacts')]).toEqual([events, contacts]);
  });

  test('an import over 50 MiB reads 413 and imports nothing', async () => {
    const contacts = await count('contacts');
    const line = `${'a'.repeat(40)}@example.com\n`;
    const call: Call = {
      path: '/api/contacts/import',
      headers: { 'content-type': 'text/csv', ...t.auth },
      body: { prefix: 'email\n', fill: line, bytes: Math.ceil((51 * MiB) / line.length) },
    };
    expect(await fetchAll(times(2, call))).toEqual(tooLarge(2));
    expect(await count('contacts')).toBe(contacts);
    // Node's fetch sends each 51 MiB body whole before it reads the answer: 10–30 s on a busy 2-core machine.
  }, 90_000);

  test('a streamed import (no Content-Length) over 50 MiB reads 413 saying which rows were stored', async () => {
    const contacts = await count('contacts');
    // 600 good rows (one batch of 500 is stored as it is read), then long rows that fail alone.
    const good = Array.from({ length: 600 }, (_, i) => `streamed${i}@example.com\n`).join('');
    const call: Call = {
      path: '/api/contacts/import',
      headers: { 'content-type': 'text/csv', ...t.auth },
      body: { prefix: `email\n${good}`, fill: `${'x'.repeat(1000)}\n`, bytes: Math.ceil((51 * MiB) / 1001) },
      stream: true,
      withMessage: true,
    };
    const [answer] = await fetchAll([call]);
    expect(answer).toEqual({
      status: 413,
      code: 'payload_too_large',
      message:
        'an import is at most 50 MiB; rows 1–500 were read: 500 stored, none failed; the rest were not (send them again from row 501)',
    });
    expect(await count('contacts')).toBe(contacts + 500);
    // 51 MiB streamed, some 53,000 rows each failing alone: 20–30 s on a busy 2-core machine.
  }, 90_000);

  test('a streamed NDJSON import over 50 MiB of one line reads 413 and stores nothing', async () => {
    const contacts = await count('contacts');
    const call: Call = {
      path: '/api/contacts/import',
      headers: { 'content-type': 'application/x-ndjson', ...t.auth },
      body: { prefix: '{"email":"one@example.com","attributes":{"blob":"', bytes: 51 * MiB, suffix: '"}}\n' },
      stream: true,
      withMessage: true,
    };
    expect(await fetchAll([call])).toEqual([
      { status: 413, code: 'payload_too_large', message: 'an import is at most 50 MiB; no row was stored' },
    ]);
    expect(await count('contacts')).toBe(contacts);
  });

  test('inbound email over 10 MiB reads 413 and records nothing', async () => {
    const events = await count('events');
    const call: Call = {
      path: '/hooks/inbound-email',
      headers: { 'content-type': 'message/rfc822', 'x-waymark-secret': INBOUND_SECRET },
      body: { prefix: 'From: a@example.com\r\nTo: b@example.com\r\nSubject: big\r\n\r\n', bytes: 11 * MiB },
    };
    expect(await fetchAll(times(3, call))).toEqual(tooLarge(3));
    expect(await count('events')).toBe(events);
  });

  test('a body more than 8 MiB past the limit is not read: 413 or a closed connection, nothing started', async () => {
    const runsBefore = await count('runs');
    const [answer] = await fetchAll([hook(12 * MiB)]);
    if (answer && 'status' in answer) expect(answer).toEqual({ status: 413, code: 'payload_too_large' });
    else expect(answer?.failed).toMatch(/EPIPE|ECONNRESET|other side closed|SocketError/i);
    expect(await count('runs')).toBe(runsBefore);
    // The server goes on serving.
    expect(await fetchAll([hook(10)])).toEqual([{ status: 202 }]);
  });
});
