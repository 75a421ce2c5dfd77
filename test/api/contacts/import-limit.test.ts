import { Readable } from 'node:stream';
import { WaymarkError } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// The import's limit (50 MiB) without sending 50 MiB: a hook cuts the body short after
// LIMIT bytes with the error the route's own limit raises (server/routes/contacts/import.ts).
const LIMIT = 32 * 1024;

/** The body in 1 KiB pieces, as a network delivers it, failing once past `limit` bytes. */
function cutAt(limit: number, body: Readable): Readable {
  return Readable.from(
    (async function* () {
      let seen = 0;
      for await (const chunk of body as AsyncIterable<Buffer>)
        for (let at = 0; at < chunk.length; at += 1024) {
          const piece = chunk.subarray(at, at + 1024);
          seen += piece.length;
          if (seen > limit) throw new WaymarkError('payload_too_large', 'an import is at most 50 MiB');
          yield piece;
        }
    })(),
  );
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(
    {},
    {
      beforeReady: (app) =>
        app.addHook('preHandler', async (request) => {
          if (request.url.startsWith('/api/contacts/import')) request.body = cutAt(LIMIT, request.body as Readable);
        }),
    },
  );
});
afterAll(() => t.close());

describe('an import over its size limit', () => {
  test('413 says how many of the rows read were stored and lists those that failed in details', async () => {
    // Batches of 500 rows are stored as they are read: rows 1–1003 (two batches, three rows
    // failed) before the cut, the rows after them not.
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ email: `cut${i + 1}@example.com` }));
    lines[2] = JSON.stringify({ email: 'not-an-email' });
    lines[9] = '{"email":"cut10@example.com","attributes":{"__proto__":{}}}';
    lines[549] = JSON.stringify({ email: 'also-not-an-email' });
    const res = await importing(lines);
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toEqual({
      code: 'payload_too_large',
      message:
        'an import is at most 50 MiB; rows 1–1003 were read: 1,000 stored, 3 failed (listed); ' +
        'the rest were not (send them again from row 1004)',
      details: [
        { row: 3, field: 'email', message: expect.any(String) },
        { row: 10, field: 'attributes/__proto__', message: 'attributes/__proto__ is not an allowed key' },
        { row: 550, field: 'email', message: expect.any(String) },
      ],
    });
    const { rows } = await t.runtime.pool.query("select count(*)::int as n from contacts where email like 'cut%'");
    expect(rows[0].n).toBe(1000);
  });

  // teams.md: an import is one entry, in the same transaction as the change. Its batches
  // commit one by one, so the entry goes with the first: rows stored are never unrecorded.
  test('the rows stored before the cut are recorded, as one contacts.imported', async () => {
    const before = await imported();
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ email: `recorded${i + 1}@example.com` }));
    const res = await importing(lines);
    expect(res.statusCode).toBe(413);
    expect(await imported()).toHaveLength(before.length + 1);
  });
});

const importing = (lines: string[]) =>
  t.app.inject({
    method: 'POST',
    url: '/api/contacts/import',
    headers: { ...t.auth, 'content-type': 'application/x-ndjson' },
    payload: lines.join('\n'),
  });
const imported = async () =>
  (await t.app.inject({ method: 'GET', url: '/api/audit?action=contacts.imported', headers: t.auth })).json()
    .entries as unknown[];
