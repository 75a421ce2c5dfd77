import { describe, expect, test } from 'vitest';
import { identityApp } from './support.js';

const { json, contact, computedReady: ready } = identityApp();

const merge = (into: string, from: string) => json('POST', `/api/contacts/${into}/merge`, { from });

describe('a merge unites what the contacts were, as it unites segment memberships', () => {
  test('a core.computed trigger the merged-away contact already entered is not entered again by the survivor', async () => {
    await json('PUT', '/api/computed-attributes/orders', {
      definition: { kind: 'aggregate', fn: 'count', event: 'order' },
    });
    await ready('orders');
    const graph = {
      nodes: [
        {
          id: 't',
          type: 'core.computed',
          version: 1,
          params: { attribute: 'orders', becomes: { op: 'gte', value: 2 } },
          position: { x: 0, y: 0 },
        },
        { id: 'x', type: 'core.exit', version: 1, params: {}, position: { x: 0, y: 100 } },
      ],
      edges: [{ id: 'e', source: 't', sourceHandle: 'out', target: 'x' }],
    };
    const { id: journeyId } = await json('POST', '/api/journeys', {
      name: 'Second order',
      graph,
      settings: { reentry: 'always' },
    });
    await json('POST', `/api/journeys/${journeyId}/publish`);
    const survivor = await contact({ email: 'united-a@example.com' });
    const other = await contact({ email: 'united-b@example.com' });
    await json('POST', '/api/events', { contactId: survivor, name: 'order' });
    await json('POST', '/api/events', { contactId: other, name: 'order' });
    await json('POST', '/api/events', { contactId: other, name: 'order' });
    const runs = async () => (await json('GET', `/api/runs?journeyId=${journeyId}`)).runs;
    expect((await runs()).map((r: { contactId: string }) => r.contactId)).toEqual([other]);

    const merged = await merge(survivor, other);
    expect(merged.computed.orders).toBe(3);
    // The person crossed the threshold once, as the merged-away contact: its run moved, none is new.
    expect((await runs()).map((r: { contactId: string }) => r.contactId)).toEqual([survivor]);
  });

  test('mergedFrom lists the contacts merged into a merged contact too, with the one they came through', async () => {
    const c = await contact({ email: 'chain-c@example.com' });
    const a = await contact({ email: 'chain-a@example.com' });
    const b = await contact({ email: 'chain-b@example.com' });
    await merge(a, b);
    const after = await merge(c, a);
    expect(after.mergedFrom).toEqual([
      expect.objectContaining({ id: a, email: 'chain-a@example.com' }),
      expect.objectContaining({ id: b, email: 'chain-b@example.com', via: a }),
    ]);
    expect(after.mergedFrom[0]).not.toHaveProperty('via');
    // Unmerging the contact it came through takes it along.
    const { survivor } = await json('POST', `/api/contacts/${c}/unmerge`, { from: a });
    expect(survivor.mergedFrom).toEqual([]);
  });
});
