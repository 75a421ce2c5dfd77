import { describe, expect, test } from 'vitest';
import { identityApp } from './support.js';

const { json, contact, computedReady: ready } = identityApp();

describe('a computed sum past the range of a double', () => {
  test('is capped at the largest double, with its sign, not read as null', async () => {
    await json('PUT', '/api/computed-attributes/hugeTotal', {
      definition: { kind: 'aggregate', fn: 'sum', event: 'huge', property: 'v' },
    });
    await ready('hugeTotal');
    const up = await contact({ email: 'huge-up@example.com' });
    const down = await contact({ email: 'huge-down@example.com' });
    for (let i = 0; i < 2; i++) {
      await json('POST', '/api/events', { contactId: up, name: 'huge', properties: { v: 1e308 } });
      await json('POST', '/api/events', { contactId: down, name: 'huge', properties: { v: -1e308 } });
    }
    expect((await json('GET', `/api/contacts/${up}`)).computed.hugeTotal).toBe(Number.MAX_VALUE);
    expect((await json('GET', `/api/contacts/${down}`)).computed.hugeTotal).toBe(-Number.MAX_VALUE);
    const segment = JSON.stringify({ computed: 'hugeTotal', op: 'gte', value: Number.MAX_VALUE });
    const { contacts } = await json('GET', `/api/contacts?segment=${encodeURIComponent(segment)}`);
    expect(contacts.map((c: { id: string }) => c.id)).toEqual([up]);
  });
});
