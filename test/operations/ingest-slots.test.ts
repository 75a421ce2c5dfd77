import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../engine/config/config.js';
import { eventually } from '../engine/support.js';
import { createTestApp, gauge, type TestApp } from '../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ WAYMARK_INGEST_CONCURRENCY: '1' });
});
afterAll(() => t.close());

const postEvent = (email: string, name: string) =>
  t.app.inject({ method: 'POST', url: '/api/events', headers: t.auth, payload: { email, name } });

describe('ingest slots', () => {
  test('events recorded at once beyond WAYMARK_INGEST_CONCURRENCY wait their turn, and every one is recorded', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: t.auth,
      payload: { email: 'busy@example.com' },
    });
    const contactId = created.json().id as string;
    // Another transaction holds the contact's row: the first event's insert waits on it.
    const holder = await t.runtime.pool.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from contacts where id = $1 for update', [contactId]);
      const answers = Promise.all(['one', 'two', 'three'].map((name) => postEvent('busy@example.com', name)));
      await eventually(async () => (await gauge(t.runtime, 'waymark_ingest_slots_waiting')) === 2);
      expect(await gauge(t.runtime, 'waymark_ingest_slots_busy')).toBe(1);
      await holder.query('commit');
      expect((await answers).map((r) => r.statusCode)).toEqual([202, 202, 202]);
    } finally {
      holder.release();
    }
    const listed = await t.app.inject({ method: 'GET', url: `/api/events?contactId=${contactId}`, headers: t.auth });
    expect(
      listed
        .json()
        .events.map((e: { name: string }) => e.name)
        .sort(),
    ).toEqual(['one', 'three', 'two']);
    expect(await gauge(t.runtime, 'waymark_ingest_slots_busy')).toBe(0);
    expect(await gauge(t.runtime, 'waymark_ingest_slots_waiting')).toBe(0);
  });

  test('a failed call gives its slot back', async () => {
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: t.auth,
      payload: { contactId: '00000000-0000-4000-8000-000000000000', name: 'lost' },
    });
    expect(unknown.statusCode).toBe(404);
    expect((await postEvent('after@example.com', 'next')).statusCode).toBe(202);
    expect(await gauge(t.runtime, 'waymark_ingest_slots_busy')).toBe(0);
  });

  test('defaults to two slots per core and refuses a value that is not a positive integer', () => {
    expect(loadConfig({}).ingestConcurrency).toBeGreaterThanOrEqual(2);
    expect(loadConfig({}).ingestConcurrency % 2).toBe(0);
    expect(() => loadConfig({ WAYMARK_INGEST_CONCURRENCY: '0' })).toThrow(/WAYMARK_INGEST_CONCURRENCY/);
  });
});
