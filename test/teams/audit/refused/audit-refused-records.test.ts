import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../../support/runtime.js';
import { caller, expectRefused, whileAuditRefused } from '../audit-refusal.js';

// teams.md "Audit log": every successful change is appended in the same transaction as the
// change. A tag lifespan, lead or computed attribute change whose entry cannot be written is
// not made.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const call = (...args: Parameters<ReturnType<typeof caller>>) => caller(t)(...args);

describe('records whose change cannot be recorded', () => {
  test("a tag's lifespan answers 500 and stays as it was", async () => {
    const lifespan = async () =>
      ((await call('GET', '/api/tags')).json() as { tags: { tag: string; ttlSeconds?: number | null }[] }).tags.find(
        (x) => x.tag === 'trial',
      );
    const before = await lifespan();
    expectRefused(await whileAuditRefused(t, () => call('PUT', '/api/tags/trial', { ttlSeconds: 3600 })));
    expect(await lifespan()).toEqual(before);
  });

  test("a lead's change answers 500 and it keeps its status", async () => {
    const { id: contactId } = (await call('POST', '/api/contacts', { email: 'lead@example.com' })).json() as {
      id: string;
    };
    const { id } = await t.runtime.db
      .insertInto('leads')
      .values({ title: 'A lead', owner: 'sales@example.com', contact_id: contactId, idempotency_key: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    expectRefused(await whileAuditRefused(t, () => call('PATCH', `/api/leads/${id}`, { status: 'won' })));
    const { leads } = (await call('GET', '/api/leads')).json() as { leads: { id: string; status: string }[] };
    expect(leads.find((l) => l.id === id)?.status).toBe('open');
  });

  test('a computed attribute answers 500 and does not exist', async () => {
    const body = { definition: { kind: 'aggregate', fn: 'count', event: 'order' } };
    expectRefused(await whileAuditRefused(t, () => call('PUT', '/api/computed-attributes/orders', body)));
    expect((await call('GET', '/api/computed-attributes/orders')).statusCode).toBe(404);
  });

  test('deleting a computed attribute answers 500 and it stays', async () => {
    const body = { definition: { kind: 'aggregate', fn: 'count', event: 'visit' } };
    expect((await call('PUT', '/api/computed-attributes/visits', body)).statusCode).toBe(201);
    expectRefused(await whileAuditRefused(t, () => call('DELETE', '/api/computed-attributes/visits')));
    expect((await call('GET', '/api/computed-attributes/visits')).statusCode).toBe(200);
  });
});
