import { describe, expect, test } from 'vitest';
import { createContactsService } from '../../engine/contacts/service.js';
import { stepScope } from '../channels/scope.js';
import { chain, identityApp, node } from './support.js';

const { app, call, json } = identityApp();

const upsert = (body: object) => json('POST', '/api/contacts', body);
const importNdjson = (lines: object[], query = '') =>
  app().app.inject({
    method: 'POST',
    url: `/api/contacts/import${query}`,
    headers: { ...app().auth, 'content-type': 'application/x-ndjson' },
    payload: lines.map((l) => JSON.stringify(l)).join('\n'),
  });

describe('attribute sources', () => {
  test('a contact keeps which source set each attribute; a removed attribute loses its entry', async () => {
    const c = await upsert({ email: 'src-1@example.com', attributes: { plan: 'gold', city: 'Oulu' }, source: 'crm' });
    expect(c.attributeSources).toEqual({
      plan: { source: 'crm', at: expect.any(String) },
      city: { source: 'crm', at: expect.any(String) },
    });
    const after = await upsert({ email: 'src-1@example.com', attributes: { city: null, age: 3 } });
    expect(after.attributeSources).toEqual({
      plan: { source: 'crm', at: expect.any(String) },
      age: { source: 'api', at: expect.any(String) },
    });
  });

  test('a lower-ranking source cannot overwrite or remove what a higher one set; the rest of its write applies', async () => {
    expect(await json('GET', '/api/settings/attribute-sources')).toEqual({ default: [], attributes: {} });
    await json('PUT', '/api/settings/attribute-sources', {
      default: ['crm'],
      attributes: { city: ['webshop', 'crm'] },
    });
    await upsert({ email: 'src-2@example.com', attributes: { plan: 'gold', city: 'Oulu' }, source: 'crm' });
    const shop = await upsert({
      email: 'src-2@example.com',
      attributes: { plan: 'free', city: 'Turku', cart: 2 },
      source: 'webshop',
    });
    expect(shop.attributes).toEqual({ plan: 'gold', city: 'Turku', cart: 2 });
    const removal = await upsert({ email: 'src-2@example.com', attributes: { plan: null }, source: 'form' });
    expect(removal.attributes.plan).toBe('gold');
    // Both unlisted: equal ranks, the write applies.
    const same = await upsert({ email: 'src-2@example.com', attributes: { cart: 5 }, source: 'form' });
    expect(same.attributes.cart).toBe(5);
    await json('PUT', '/api/settings/attribute-sources', { default: [], attributes: {} });
  });

  test('an import names its source; an NDJSON line’s own source wins', async () => {
    const res = await importNdjson(
      [
        { email: 'src-3@example.com', attributes: { a: 1 } },
        { email: 'src-4@example.com', attributes: { a: 1 }, source: 'crm' },
      ],
      '?source=webshop',
    );
    expect(res.json()).toMatchObject({ imported: 2, failedCount: 0 });
    const three = await upsert({ email: 'src-3@example.com' });
    const four = await upsert({ email: 'src-4@example.com' });
    expect(three.attributeSources.a.source).toBe('webshop');
    expect(four.attributeSources.a.source).toBe('crm');
  });

  test('bad or repeated sources are refused', async () => {
    const bad = await call('PUT', '/api/settings/attribute-sources', { default: ['CRM!'], attributes: {} });
    expect([bad.statusCode, bad.json().error.details[0].path]).toEqual([400, '/default/0']);
    const twice = await call('PUT', '/api/settings/attribute-sources', {
      default: [],
      attributes: { city: ['crm', 'crm'] },
    });
    expect([twice.statusCode, twice.json().error.details[0].path]).toEqual([400, '/attributes/city/1']);
    expect((await call('POST', '/api/contacts', { email: 'x@example.com', source: 'Bad Source' })).statusCode).toBe(
      400,
    );
  });

  test('a merge keeps the value whose source ranks higher', async () => {
    await json('PUT', '/api/settings/attribute-sources', { default: ['crm'], attributes: {} });
    const keep = (await upsert({ externalId: 'src-m', attributes: { plan: 'free' }, source: 'webshop' })).id;
    const gone = (await upsert({ email: 'src-m@example.com', attributes: { plan: 'gold' }, source: 'crm' })).id;
    const merged = await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    expect(merged.attributes.plan).toBe('gold');
    expect(merged.attributeSources.plan.source).toBe('crm');
    await json('PUT', '/api/settings/attribute-sources', { default: [], attributes: {} });
  });
});

const SECRET = 'a-secret-of-16-chars';
async function publish(graph: object): Promise<string> {
  const { id } = await json('POST', '/api/journeys', { name: 'Writes', graph });
  await json('POST', `/api/journeys/${id}/publish`);
  return id;
}
const hook = (journeyId: string, payload: object) =>
  app().app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
    payload,
  });

/** The contact once its run of the journey completed. */
async function afterRun(journeyId: string, email: string) {
  for (let i = 0; i < 100; i++) {
    const { runs } = await json('GET', `/api/runs?journeyId=${journeyId}&status=completed`);
    if (runs.length) return upsert({ email });
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`journey ${journeyId} completed no run`);
}

const stepContacts = async (fields: object = {}) => createContactsService(await stepScope(app().runtime, fields));

describe('attribute sources of journey writes', () => {
  test('a webhook’s runs write under its source, and leave what a higher-ranking source set', async () => {
    await json('PUT', '/api/settings/attribute-sources', { default: ['crm', 'shop'], attributes: {} });
    await upsert({ email: 'hook-src@example.com', attributes: { plan: 'gold' }, source: 'crm' });
    const journey = await publish(
      chain(
        node('hook', 'core.webhook', { secret: SECRET, source: 'shop' }, 0),
        node(
          'set',
          'crm.update-contact',
          { attributes: { plan: '{{ trigger.plan }}', cart: '{{ trigger.cart }}' } },
          100,
        ),
      ),
    );
    expect((await hook(journey, { email: 'hook-src@example.com', plan: 'free', cart: 2 })).statusCode).toBe(202);
    const after = await afterRun(journey, 'hook-src@example.com');
    expect(after.attributes).toEqual({ plan: 'gold', cart: 2 });
    expect(after.attributeSources).toEqual({
      plan: { source: 'crm', at: expect.any(String) },
      cart: { source: 'shop', at: expect.any(String) },
    });
    await json('PUT', '/api/settings/attribute-sources', { default: [], attributes: {} });
  });

  test('a webhook without a source param writes as webhook', async () => {
    const journey = await publish(
      chain(
        node('hook', 'core.webhook', { secret: SECRET }, 0),
        node('set', 'crm.update-contact', { attributes: { seen: 'yes' } }, 100),
      ),
    );
    await hook(journey, { email: 'hook-default@example.com' });
    const after = await afterRun(journey, 'hook-default@example.com');
    expect(after.attributeSources.seen.source).toBe('webhook');
  });

  test('crm.update-contact writes as journey outside webhook runs, or under the source it names', async () => {
    const journey = await publish(
      chain(
        node('t', 'core.event', { event: 'src-signup' }, 0),
        node('a', 'crm.update-contact', { attributes: { stage: 'new' } }, 100),
        node('b', 'crm.update-contact', { attributes: { owner: 'ann' }, source: 'crm' }, 200),
      ),
    );
    await json('POST', '/api/events', { email: 'event-src@example.com', name: 'src-signup' });
    const after = await afterRun(journey, 'event-src@example.com');
    expect(after.attributeSources.stage.source).toBe('journey');
    expect(after.attributeSources.owner.source).toBe('crm');
  });

  test('ctx.contacts.update writes under the run’s source and leaves what a higher-ranking source set', async () => {
    await json('PUT', '/api/settings/attribute-sources', { default: ['crm'], attributes: {} });
    const id = (await upsert({ email: 'sdk-src@example.com', attributes: { plan: 'gold' }, source: 'crm' })).id;
    const contacts = await stepContacts({ source: 'webhook', contactId: id });
    const after = await contacts.update(id, { attributes: { plan: 'free', cart: 1 } });
    expect(after.attributes).toEqual({ plan: 'gold', cart: 1 });
    expect(after.attributeSources?.cart?.source).toBe('webhook');
    await json('PUT', '/api/settings/attribute-sources', { default: [], attributes: {} });
  });

  test('ctx.contacts.update writes under the source it names', async () => {
    await json('PUT', '/api/settings/attribute-sources', { default: ['crm'], attributes: {} });
    const id = (await upsert({ email: 'sdk-own@example.com', attributes: { plan: 'gold' }, source: 'crm' })).id;
    const contacts = await stepContacts({ source: 'webhook', contactId: id });
    const after = await contacts.update(id, { attributes: { plan: 'pro' }, source: 'crm' });
    expect(after.attributes.plan).toBe('pro');
    expect(after.attributeSources?.plan?.source).toBe('crm');
    await json('PUT', '/api/settings/attribute-sources', { default: [], attributes: {} });
  });

  test('a bad source is refused: by ctx.contacts.update naming /source, and at publish naming the node', async () => {
    const id = (await upsert({ email: 'sdk-bad@example.com' })).id;
    const contacts = await stepContacts({ contactId: id });
    await expect(contacts.update(id, { attributes: { a: 1 }, source: 'Bad Source' })).rejects.toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/source' }],
    });
    const { id: journey } = await json('POST', '/api/journeys', {
      name: 'Bad source',
      graph: chain(
        node('hook', 'core.webhook', { secret: SECRET, source: 'Shop!' }, 0),
        node('set', 'crm.update-contact', { attributes: { a: '1' }, source: 'x'.repeat(65) }, 100),
      ),
    });
    const res = await call('POST', `/api/journeys/${journey}/publish`);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ nodeId: 'hook', path: '/source' }),
        expect.objectContaining({ nodeId: 'set', path: '/source' }),
      ]),
    );
  });
});
