import { describe, expect, test } from 'vitest';
import { identityApp } from './support.js';

const { call, json, contact, computedReady: ready } = identityApp();

describe('computed attributes under concurrent events', () => {
  test('twenty purchases of one contact stored at once count twenty, and their sum is whole', async () => {
    const ann = await contact({ email: 'burst-ann@example.com' });
    for (const [name, definition] of [
      ['orders', { kind: 'aggregate', fn: 'count', event: 'purchase' }],
      ['spent', { kind: 'aggregate', fn: 'sum', event: 'purchase', property: 'amount' }],
    ] as const) {
      expect((await call('PUT', `/api/computed-attributes/${name}`, { definition })).statusCode).toBe(201);
      await ready(name);
    }
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        call('POST', '/api/events', { contactId: ann, name: 'purchase', properties: { amount: 5 } }),
      ),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(202));
    // identity.md: a read after the answer sees the values the events made.
    expect((await json('GET', `/api/contacts/${ann}`)).computed).toEqual({ orders: 20, spent: 100 });
  });

  test('an event stamped in the future is not in a window that ends now, as in the filter language', async () => {
    const bea = await contact({ email: 'future-bea@example.com' });
    const definition = { kind: 'aggregate', fn: 'count', event: 'visit', within: 'P7D' };
    expect((await call('PUT', '/api/computed-attributes/recentVisits', { definition })).statusCode).toBe(201);
    await ready('recentVisits');
    await json('POST', '/api/events', { contactId: bea, name: 'visit', timestamp: '9999-12-31T23:59:59Z' });
    await json('POST', '/api/events', { contactId: bea, name: 'visit' });
    expect((await json('GET', `/api/contacts/${bea}`)).computed).toMatchObject({ recentVisits: 1 });
    const segment = JSON.stringify({ event: 'visit', op: 'count', gte: 2, within: 'P7D' });
    expect((await json('GET', `/api/contacts?segment=${encodeURIComponent(segment)}`)).total).toBe(0);
  });
});
