import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../../engine/config/config.js';
import { eventually } from '../../engine/support.js';
import { createTestApp, gauge, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ WAYMARK_INGEST_CONCURRENCY: '1' });
});
afterAll(() => t.close());

const postEvent = (email: string, name: string) =>
  t.app.inject({ method: 'POST', url: '/api/events', headers: t.auth, payload: { email, name } });

/**
 * Creates the contact `email` and runs `during` while another transaction holds its row: a
 * call that writes to the contact waits on it, holding its slot. Returns the contact's id.
 */
async function whileContactHeld(email: string, during: () => Promise<void>): Promise<string> {
  const created = await t.app.inject({ method: 'POST', url: '/api/contacts', headers: t.auth, payload: { email } });
  const contactId = created.json().id as string;
  const holder = await t.runtime.pool.connect();
  try {
    await holder.query('begin');
    await holder.query('select 1 from contacts where id = $1 for update', [contactId]);
    await during();
  } finally {
    await holder.query('commit');
    holder.release();
  }
  return contactId;
}

describe('ingest slots', () => {
  test('events recorded at once beyond WAYMARK_INGEST_CONCURRENCY wait their turn, and every one is recorded', async () => {
    let answers: ReturnType<typeof postEvent>[] = [];
    const contactId = await whileContactHeld('busy@example.com', async () => {
      answers = ['one', 'two', 'three'].map((name) => postEvent('busy@example.com', name));
      await eventually(async () => (await gauge(t.runtime, 'waymark_ingest_slots_waiting')) === 2);
      expect(await gauge(t.runtime, 'waymark_ingest_slots_busy')).toBe(1);
    });
    expect((await Promise.all(answers)).map((r) => r.statusCode)).toEqual([202, 202, 202]);
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

  test('a form submission takes its turn as an event does', async () => {
    const fields = [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }];
    const form = await t.app.inject({
      method: 'PUT',
      url: '/api/forms/news',
      headers: t.auth,
      payload: { name: 'News', fields, tags: ['newsletter'] },
    });
    expect(form.statusCode).toBe(201);
    let answers: Promise<{ statusCode: number }>[] = [];
    const contactId = await whileContactHeld('reader@example.com', async () => {
      answers = [t.app.inject({ method: 'POST', url: '/f/news', payload: { email: 'reader@example.com' } })];
      await eventually(async () => (await gauge(t.runtime, 'waymark_ingest_slots_busy')) === 1);
      answers.push(postEvent('other@example.com', 'waited'));
      await eventually(async () => (await gauge(t.runtime, 'waymark_ingest_slots_waiting')) === 1);
    });
    expect((await Promise.all(answers)).map((r) => r.statusCode)).toEqual([202, 202]);
    const contact = await t.app.inject({ method: 'GET', url: `/api/contacts/${contactId}`, headers: t.auth });
    expect(contact.json().tags.map((tag: { tag: string }) => tag.tag)).toEqual(['newsletter']);
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
