import { describe, expect, test } from 'vitest';
import { queueComputedRefresh } from '../../engine/computed/schedule.js';
import { createContactsService } from '../../engine/contacts/service.js';
import { addTags } from '../../engine/contacts/tags.js';
import { stepScope } from '../channels/scope.js';
import { chain, identityApp, node } from './support.js';

const { app, call, json, contact } = identityApp();
const computed = async (id: string) => (await json('GET', `/api/contacts/${id}`)).computed;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** Waits until the background refresh of `name` has finished after `since`. */
async function ready(name: string, since = '') {
  for (let i = 0; i < 150; i++) {
    const a = await json('GET', `/api/computed-attributes/${name}`);
    if (a.status === 'ready' && (a.refreshedAt ?? '') > since) return a;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} never got ready`);
}

describe('computed attributes', () => {
  test('lifetime value is the sum of the purchases in the window, also after one falls out of it', async () => {
    const ann = await contact({ email: 'ltv-ann@example.com' });
    const bob = await contact({ email: 'ltv-bob@example.com' });
    const totals = [120, 80.5, 300];
    for (const total of totals)
      await json('POST', '/api/events', { contactId: ann, name: 'purchase', properties: { total } });
    // Not a number, and not a purchase: neither counts.
    await json('POST', '/api/events', { contactId: ann, name: 'purchase', properties: { total: 'lots' } });
    await json('POST', '/api/events', { contactId: ann, name: 'refund', properties: { total: 50 } });
    // Inside the 30-day window now, outside it in a few seconds.
    const edge = ago(30 * 86_400_000 - 3000);
    await json('POST', '/api/events', { contactId: bob, name: 'purchase', properties: { total: 70 }, timestamp: edge });

    const put = await call('PUT', '/api/computed-attributes/lifetimeValue', {
      definition: { kind: 'aggregate', fn: 'sum', event: 'purchase', property: 'total', within: 'P30D' },
      refreshEvery: 'PT10S',
    });
    expect(put.statusCode).toBe(201);
    expect(put.json()).toMatchObject({
      name: 'lifetimeValue',
      status: 'computing',
      refreshEvery: 'PT10S',
      description: null,
    });
    const first = await ready('lifetimeValue');
    expect(await computed(ann)).toEqual({ lifetimeValue: totals.reduce((a, b) => a + b, 0) });
    expect(await computed(bob)).toEqual({ lifetimeValue: 70 });

    // A new purchase counts as soon as it is stored.
    await json('POST', '/api/events', { contactId: ann, name: 'purchase', properties: { total: 9.5 } });
    expect((await computed(ann)).lifetimeValue).toBe(510);

    await new Promise((r) => setTimeout(r, 3500));
    await app().runtime.pool.query(`update computed_attributes set refreshed_at = now() - interval '1 hour'`);
    await queueComputedRefresh(app().runtime.db);
    await ready('lifetimeValue', first.refreshedAt);
    expect(await computed(bob)).toEqual({ lifetimeValue: 0 });
  });

  test('a segment on a computed attribute finds the right contacts', async () => {
    const big = await contact({ email: 'seg-big@example.com' });
    const small = await contact({ email: 'seg-small@example.com' });
    await json('POST', '/api/events', { contactId: big, name: 'order', properties: { n: 1 } });
    await json('POST', '/api/events', { contactId: big, name: 'order', properties: { n: 2 } });
    await json('POST', '/api/events', { contactId: small, name: 'order', properties: { n: 3 } });
    await json('PUT', '/api/computed-attributes/orders', {
      definition: { kind: 'aggregate', fn: 'count', event: 'order' },
    });
    await ready('orders');
    const segment = encodeURIComponent(JSON.stringify({ computed: 'orders', op: 'gte', value: 2 }));
    const found = await json('GET', `/api/contacts?segment=${segment}`);
    expect(found.contacts.map((c: { id: string }) => c.id)).toEqual([big]);
    const unknown = encodeURIComponent(JSON.stringify({ all: [{ computed: 'nothing', op: 'exists' }] }));
    const refused = await call('GET', `/api/contacts?segment=${unknown}`);
    expect([refused.statusCode, refused.json().error.details[0].path]).toEqual([400, '/all/0']);
    await json('POST', '/api/events', { contactId: small, name: 'order' });
    const again = await json('GET', `/api/contacts?segment=${segment}`);
    expect(again.contacts.map((c: { id: string }) => c.id).sort()).toEqual([big, small].sort());
  });

  test('first, last, days since and a filter with cases', async () => {
    const id = await contact({ email: 'kinds@example.com', attributes: { plan: 'pro' } });
    await json('POST', '/api/events', {
      contactId: id,
      name: 'visit',
      properties: { page: 'a' },
      timestamp: ago(3 * 86_400_000 + 60_000),
    });
    await json('POST', '/api/events', {
      contactId: id,
      name: 'visit',
      properties: { page: 'b' },
      timestamp: ago(86_400_000 + 60_000),
    });
    await json('PUT', '/api/computed-attributes/firstPage', {
      definition: { kind: 'aggregate', fn: 'first', event: 'visit', property: 'page' },
    });
    await json('PUT', '/api/computed-attributes/lastPage', {
      definition: { kind: 'aggregate', fn: 'last', event: 'visit', property: 'page' },
    });
    await json('PUT', '/api/computed-attributes/idleDays', { definition: { kind: 'daysSince', event: 'visit' } });
    await json('PUT', '/api/computed-attributes/tier', {
      definition: {
        kind: 'filter',
        cases: [
          {
            when: {
              all: [
                { attr: 'plan', op: 'eq', value: 'pro' },
                { computed: 'idleDays', op: 'lt', value: 7 },
              ],
            },
            value: 'hot',
          },
        ],
        else: 'cold',
      },
    });
    for (const name of ['firstPage', 'lastPage', 'idleDays', 'tier']) await ready(name);
    expect(await computed(id)).toMatchObject({ firstPage: 'a', lastPage: 'b', idleDays: 1, tier: 'hot' });
  });

  test('bad names, definitions and cycles are refused with pointers', async () => {
    const bad = async (name: string, body: object) => {
      const res = await call('PUT', `/api/computed-attributes/${name}`, body);
      expect(res.statusCode).toBe(400);
      return res.json().error.details.map((d: { path: string }) => d.path);
    };
    expect(await bad('9lives', { definition: { kind: 'aggregate', fn: 'count', event: 'x' } })).toEqual(['/name']);
    expect(await bad('ok', { definition: { kind: 'aggregate', fn: 'median', event: 'x', property: 'p' } })).toEqual([
      '/definition/fn',
    ]);
    expect(await bad('ok', { definition: { kind: 'aggregate', fn: 'sum', event: 'x' } })).toEqual([
      '/definition/property',
    ]);
    expect(await bad('ok', { definition: { kind: 'filter', filter: { computed: 'nothing', op: 'exists' } } })).toEqual([
      '/definition/filter',
    ]);
    expect(
      await bad('ok', { definition: { kind: 'aggregate', fn: 'count', event: 'x' }, refreshEvery: 'PT1S' }),
    ).toEqual(['/refreshEvery']);
    await json('PUT', '/api/computed-attributes/ping', {
      definition: { kind: 'filter', filter: { attr: 'x', op: 'exists' } },
    });
    await json('PUT', '/api/computed-attributes/pong', {
      definition: { kind: 'filter', filter: { computed: 'ping', op: 'eq', value: true } },
    });
    expect(
      await bad('ping', { definition: { kind: 'filter', filter: { computed: 'pong', op: 'eq', value: true } } }),
    ).toEqual(['/definition']);
  });

  test('a case whose value is no string, number or boolean is refused at its value', async () => {
    const res = await call('PUT', '/api/computed-attributes/tier', {
      definition: {
        kind: 'filter',
        cases: [
          { when: { attr: 'plan', op: 'eq', value: 'gold' }, value: 'gold' },
          { when: { attr: 'plan', op: 'eq', value: 'silver' }, value: { level: 2 } },
          { when: { attr: 'plan', op: 'exists' } },
        ],
      },
    });
    expect([res.statusCode, res.json().error.code]).toEqual([400, 'validation_failed']);
    expect(res.json().error.details).toEqual([
      { path: '/definition/cases/1/value', message: 'value must be a string, number or boolean' },
      { path: '/definition/cases/2/value', message: 'value must be a string, number or boolean' },
    ]);
  });

  test('an attribute another definition reads cannot be deleted; deleting removes its values', async () => {
    const id = await contact({ email: 'del@example.com' });
    await json('PUT', '/api/computed-attributes/visits', {
      definition: { kind: 'aggregate', fn: 'count', event: 'visit' },
    });
    await json('PUT', '/api/computed-attributes/regular', {
      definition: { kind: 'filter', filter: { computed: 'visits', op: 'gte', value: 3 } },
    });
    const refused = await call('DELETE', '/api/computed-attributes/visits');
    expect([refused.statusCode, refused.json().error.code]).toEqual([409, 'conflict']);
    expect(refused.json().error.details).toEqual([expect.objectContaining({ path: '/computedAttributes/regular' })]);
    expect((await call('DELETE', '/api/computed-attributes/regular')).statusCode).toBe(204);
    expect((await call('DELETE', '/api/computed-attributes/visits')).statusCode).toBe(204);
    expect(await computed(id)).not.toHaveProperty('visits');
    expect((await call('GET', '/api/computed-attributes/visits')).statusCode).toBe(404);
  });
});

describe('the core.computed trigger', () => {
  test('a contact enters when its value becomes one that satisfies the condition, once', async () => {
    await json('PUT', '/api/computed-attributes/spent', {
      definition: { kind: 'aggregate', fn: 'sum', event: 'buy', property: 'total' },
    });
    await ready('spent');
    const graph = {
      nodes: [
        {
          id: 't',
          type: 'core.computed',
          version: 1,
          params: { attribute: 'spent', becomes: { op: 'gte', value: 100 } },
          position: { x: 0, y: 0 },
        },
        { id: 'x', type: 'core.exit', version: 1, params: {}, position: { x: 0, y: 100 } },
      ],
      edges: [{ id: 'e', source: 't', sourceHandle: 'out', target: 'x' }],
    };
    const { id: journeyId } = await json('POST', '/api/journeys', { name: 'Big spenders', graph });
    await json('POST', `/api/journeys/${journeyId}/publish`);
    const id = await contact({ email: 'spender@example.com' });
    const runs = async () => (await json('GET', `/api/runs?journeyId=${journeyId}`)).runs;
    await json('POST', '/api/events', { contactId: id, name: 'buy', properties: { total: 60 } });
    expect(await runs()).toEqual([]);
    await json('POST', '/api/events', { contactId: id, name: 'buy', properties: { total: 60 } });
    await json('POST', '/api/events', { contactId: id, name: 'buy', properties: { total: 10 } });
    const started = await runs();
    expect(started.map((r: { contactId: string }) => r.contactId)).toEqual([id]);
    const run = await json('GET', `/api/runs/${started[0].id}`);
    expect(run.steps[0].output).toMatchObject({ attribute: 'spent', previous: 60, value: 120 });
  });
});

describe('the computed clause', () => {
  test('a null value compares in a segment as an absent attribute does', async () => {
    await json('PUT', '/api/computed-attributes/biggestOrder', {
      definition: { kind: 'aggregate', fn: 'max', event: 'big-order', property: 'total' },
    });
    await ready('biggestOrder');
    const id = await contact({ email: 'null-compare@example.com' });
    expect((await computed(id)).biggestOrder).toBeNull();
    const ids = async (filter: object) =>
      (
        await json('GET', `/api/contacts?segment=${encodeURIComponent(JSON.stringify(filter))}&limit=1000`)
      ).contacts.map((c: { id: string }) => c.id);
    expect(await ids({ computed: 'biggestOrder', op: 'eq', value: null })).not.toContain(id);
    expect(await ids({ computed: 'biggestOrder', op: 'in', value: [null] })).not.toContain(id);
    expect(await ids({ computed: 'biggestOrder', op: 'neq', value: null })).toContain(id);
  });
});

describe('values follow changes of the contact at once', () => {
  test('a filter on a tag turns true when the tag is added and false when it is removed', async () => {
    await json('PUT', '/api/computed-attributes/isVip', {
      definition: { kind: 'filter', filter: { tag: 'vip', op: 'has' } },
    });
    await ready('isVip');
    const id = await contact({ email: 'vip-tag@example.com' });
    expect((await computed(id)).isVip).toBe(false);
    await json('POST', `/api/contacts/${id}/tags`, { tag: 'vip' });
    expect((await computed(id)).isVip).toBe(true);
    expect((await call('DELETE', `/api/contacts/${id}/tags/vip`)).statusCode).toBe(204);
    expect((await computed(id)).isVip).toBe(false);
  });

  test('a filter on a list follows the contact joining and leaving it', async () => {
    await json('PUT', '/api/computed-attributes/reader', {
      definition: { kind: 'filter', filter: { list: 'weekly', op: 'member' } },
    });
    await ready('reader');
    const id = await contact({ email: 'list-member@example.com' });
    await json('POST', `/api/contacts/${id}/lists`, { list: 'weekly' });
    expect((await computed(id)).reader).toBe(true);
    expect((await call('DELETE', `/api/contacts/${id}/lists/weekly`)).statusCode).toBe(204);
    expect((await computed(id)).reader).toBe(false);
  });

  test('batched tag additions refresh every contact they tag, in one go', async () => {
    await json('PUT', '/api/computed-attributes/isGold', {
      definition: { kind: 'filter', filter: { tag: 'gold', op: 'has' } },
    });
    await ready('isGold');
    const ids = [await contact({ email: 'batch-1@example.com' }), await contact({ email: 'batch-2@example.com' })];
    await addTags(
      app().runtime.db,
      ids.map((contactId) => ({ contactId, tag: 'gold' })),
    );
    for (const id of ids) expect((await computed(id)).isGold).toBe(true);
  });

  test('a filter on an attribute follows a journey’s write (ctx.contacts.update)', async () => {
    await json('PUT', '/api/computed-attributes/isPro', {
      definition: { kind: 'filter', filter: { attr: 'plan', op: 'eq', value: 'pro' } },
    });
    await ready('isPro');
    const id = await contact({ email: 'sdk-pro@example.com' });
    const contacts = createContactsService(await stepScope(app().runtime, { contactId: id }));
    const after = await contacts.update(id, { attributes: { plan: 'pro' } });
    expect(after.computed?.isPro).toBe(true);
  });
});

describe('journeys naming computed attributes', () => {
  const condition = (filter: object) =>
    chain(node('t', 'core.event', { event: 'x' }, 0), node('c', 'core.condition', { filter }, 100));

  test('an unknown name in a condition is 422 invalid_graph at publish, at the clause’s pointer', async () => {
    const graph = condition({
      all: [
        { attr: 'a', op: 'exists' },
        { computed: 'noSuchThing', op: 'gt', value: 1 },
      ],
    });
    const { id } = await json('POST', '/api/journeys', { name: 'Unknown computed', graph });
    const res = await call('POST', `/api/journeys/${id}/publish`);
    expect([res.statusCode, res.json().error.code]).toEqual([422, 'invalid_graph']);
    expect(res.json().error.details).toEqual([
      expect.objectContaining({ nodeId: 'c', path: '/filter/all/1', message: expect.stringContaining('noSuchThing') }),
    ]);
  });

  test('validating the draft names the same clause', async () => {
    const graph = condition({ computed: 'noSuchThing.r', op: 'gt', value: 1 });
    const { id } = await json('POST', '/api/journeys', { name: 'Unknown computed draft', graph });
    const res = await json('POST', `/api/journeys/${id}/validate`);
    expect(res).toEqual({ valid: false, errors: [expect.objectContaining({ nodeId: 'c', path: '/filter' })] });
  });

  test('a core.computed trigger on an unknown attribute does not publish', async () => {
    const graph = chain(node('t', 'core.computed', { attribute: 'noSuchThing' }, 0), node('x', 'core.exit', {}, 100));
    const { id } = await json('POST', '/api/journeys', { name: 'Unknown trigger', graph });
    const res = await call('POST', `/api/journeys/${id}/publish`);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([expect.objectContaining({ nodeId: 't', path: '/attribute' })]);
  });

  test('a computed clause in an event filter is refused once, as not allowed there', async () => {
    const graph = chain(
      node('t', 'core.event', { event: 'x', filter: { computed: 'noSuchThing', op: 'exists' } }, 0),
      node('x', 'core.exit', {}, 100),
    );
    const { id } = await json('POST', '/api/journeys', { name: 'Computed in event filter', graph });
    const res = await call('POST', `/api/journeys/${id}/publish`);
    expect(res.json().error.details).toEqual([
      expect.objectContaining({ nodeId: 't', path: '/filter', message: expect.stringContaining('not allowed') }),
    ]);
  });

  test('an attribute a live journey’s condition names cannot be deleted: 409 naming the journey and node', async () => {
    await json('PUT', '/api/computed-attributes/inCondition', {
      definition: { kind: 'aggregate', fn: 'count', event: 'x' },
    });
    const { id } = await json('POST', '/api/journeys', {
      name: 'Condition on computed',
      graph: condition({ computed: 'inCondition', op: 'gte', value: 1 }),
    });
    await json('POST', `/api/journeys/${id}/publish`);
    const res = await call('DELETE', '/api/computed-attributes/inCondition');
    expect([res.statusCode, res.json().error.code]).toEqual([409, 'conflict']);
    expect(res.json().error.details).toEqual([expect.objectContaining({ path: `/journeys/${id}`, nodeId: 'c' })]);
    expect((await call('GET', '/api/computed-attributes/inCondition')).statusCode).toBe(200);
  });

  test('an attribute a live journey’s core.computed trigger names cannot be deleted: 409 naming the node', async () => {
    await json('PUT', '/api/computed-attributes/inTrigger', {
      definition: { kind: 'aggregate', fn: 'count', event: 'x' },
    });
    const graph = chain(node('t', 'core.computed', { attribute: 'inTrigger' }, 0), node('x', 'core.exit', {}, 100));
    const { id } = await json('POST', '/api/journeys', { name: 'Trigger on computed', graph });
    await json('POST', `/api/journeys/${id}/publish`);
    const res = await call('DELETE', '/api/computed-attributes/inTrigger');
    expect(res.statusCode).toBe(409);
    expect(res.json().error.details).toEqual([expect.objectContaining({ path: `/journeys/${id}`, nodeId: 't' })]);
  });

  test('a paused journey is still live: its condition’s attribute cannot be deleted, 409 naming the node', async () => {
    await json('PUT', '/api/computed-attributes/inPaused', {
      definition: { kind: 'aggregate', fn: 'count', event: 'x' },
    });
    const { id } = await json('POST', '/api/journeys', {
      name: 'Paused condition',
      graph: condition({ computed: 'inPaused', op: 'gte', value: 1 }),
    });
    await json('POST', `/api/journeys/${id}/publish`);
    await json('POST', `/api/journeys/${id}/pause`);
    const res = await call('DELETE', '/api/computed-attributes/inPaused');
    expect([res.statusCode, res.json().error.code]).toEqual([409, 'conflict']);
    expect(res.json().error.details).toEqual([expect.objectContaining({ path: `/journeys/${id}`, nodeId: 'c' })]);
  });

  test('once the journey is archived the attribute can be deleted', async () => {
    await json('PUT', '/api/computed-attributes/inArchived', {
      definition: { kind: 'aggregate', fn: 'count', event: 'x' },
    });
    const { id } = await json('POST', '/api/journeys', {
      name: 'Archived condition',
      graph: condition({ computed: 'inArchived', op: 'gte', value: 1 }),
    });
    await json('POST', `/api/journeys/${id}/publish`);
    expect((await call('DELETE', `/api/journeys/${id}`)).statusCode).toBe(204);
    expect((await call('DELETE', '/api/computed-attributes/inArchived')).statusCode).toBe(204);
  });

  test('a known name publishes', async () => {
    await json('PUT', '/api/computed-attributes/known', {
      definition: { kind: 'aggregate', fn: 'count', event: 'x' },
    });
    const { id } = await json('POST', '/api/journeys', {
      name: 'Known computed',
      graph: condition({ computed: 'known', op: 'gte', value: 1 }),
    });
    expect((await call('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
  });
});
