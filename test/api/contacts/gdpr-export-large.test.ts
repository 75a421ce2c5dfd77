import http from 'node:http';
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXPORT_EVENT_PAGE } from '../../../engine/contacts/privacy/export-stream.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// The GDPR export of a contact with a long history: its events are streamed, a page at a time.
let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(() => t.close());

/** A contact with `count` page views, one a second up to now, stored in one statement. */
async function contactWithViews(email: string, count: number): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/contacts', headers: t.auth, payload: { email } });
  const { id } = res.json();
  await t.runtime.pool.query(
    `insert into events (contact_id, name, properties, timestamp)
     select $1, 'page.viewed', jsonb_build_object('n', g, 'title', repeat('x', 200)),
       now() - make_interval(secs => $2 - g) from generate_series(1, $2) g`,
    [id, count],
  );
  return id;
}

describe('GET /api/contacts/:id/export of a contact with a long history', () => {
  test('lists every event once, oldest first, across pages', async () => {
    const count = EXPORT_EVENT_PAGE * 2 + 7;
    const id = await contactWithViews('pages@example.com', count);
    const res = await fetch(`${base}/api/contacts/${id}/export`, { headers: t.auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = await res.json();
    expect(body.events.map((e: { properties: { n: number } }) => e.properties.n)).toEqual(
      Array.from({ length: count }, (_, i) => i + 1),
    );
    expect(body.contact.email).toBe('pages@example.com');
    expect(body).toMatchObject({ tags: [], lists: [], messages: [], runs: [], leads: [], merges: [] });
  });

  test('is sent while it is read, the server holding a page of events at a time', async () => {
    const id = await contactWithViews('heavy@example.com', 50_000);
    // Live memory, not garbage awaiting collection: collected before each look.
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 250);
    const res = await fetch(`${base}/api/contacts/${id}/export`, { headers: t.auth });
    let bytes = 0;
    const reader = res.body?.getReader();
    for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read())
      bytes += chunk.value.length;
    clearInterval(sampler);
    // 50,000 events of ~300 bytes: ~15 MB of text, several times that as objects when built whole.
    expect(bytes).toBeGreaterThan(12_000_000);
    expect(peak - before).toBeLessThan(30_000_000);
  }, 60_000);

  test('a reader that hangs up midway leaves no transaction open', async () => {
    const id = await contactWithViews('hangs.up@example.com', 50_000);
    // Hangs up (closes its socket) once the first bytes arrived.
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${base}/api/contacts/${id}/export`, { headers: t.auth }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (error) => (req.destroyed ? resolve() : reject(error)));
    });
    const open = async () =>
      (
        await t.runtime.pool.query(
          "select count(*)::int as n from pg_stat_activity where query like '%from export_events%' and state <> 'idle' and pid <> pg_backend_pid()",
        )
      ).rows[0].n;
    for (let i = 0; i < 50 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await open()).toBe(0);
  });
});
