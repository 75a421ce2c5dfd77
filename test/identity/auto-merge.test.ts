import { describe, expect, test } from 'vitest';
import { chain, identityApp, node } from './support.js';

const { app, call, json, contact } = identityApp();

describe('automatic merges', () => {
  test('an upsert naming two contacts’ identities merges them into the one its externalId names', async () => {
    const shop = await contact({ externalId: 'auto-1' });
    const news = await contact({ email: 'auto-1@example.com', attributes: { lang: 'fi' } });
    const res = await call('POST', '/api/contacts', { externalId: 'auto-1', email: 'auto-1@example.com' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: shop,
      email: 'auto-1@example.com',
      attributes: { lang: 'fi' },
      mergedFrom: [expect.objectContaining({ id: news, automatic: true })],
    });
    expect((await call('GET', `/api/contacts/${news}`)).json()).toEqual({ mergedInto: shop });
    const { events } = await json('GET', `/api/events?contactId=${shop}&name=contact.merged`);
    expect(events[0].properties).toEqual({ mergedId: news, automatic: true });
  });

  test('an event naming two contacts binds to the merged contact', async () => {
    const byPhone = await contact({ phone: '+358401110001' });
    const byEmail = await contact({ email: 'auto-2@example.com' });
    await json('POST', '/api/events', { email: 'auto-2@example.com', phone: '+358401110001', name: 'visit' });
    const { events } = await json('GET', `/api/events?contactId=${byPhone}&name=visit`);
    expect(events.map((e: { contactId: string }) => e.contactId)).toEqual([byEmail]);
  });

  // A contactId is no identity value an automatic merge chooses a survivor by (externalId, email, phone).
  test('an event naming one contact’s id and another’s email merges nothing: 400 naming /email, nothing stored', async () => {
    const byId = await contact({ externalId: 'auto-id-1' });
    const byEmail = await contact({ email: 'auto-id-1@example.com' });
    const res = await call('POST', '/api/events', { contactId: byId, email: 'auto-id-1@example.com', name: 'mixed' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '/email' }] });
    for (const id of [byId, byEmail]) {
      expect((await call('GET', `/api/contacts/${id}`)).statusCode).toBe(200);
      expect((await json('GET', `/api/events?contactId=${id}&name=mixed`)).events).toEqual([]);
    }
  });

  test('an event naming a merged-away contact’s id and its survivor’s email binds to the survivor', async () => {
    const keep = await contact({ email: 'auto-id-2@example.com' });
    const gone = await contact({ email: 'auto-id-2-gone@example.com' });
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    await json('POST', '/api/events', { contactId: gone, email: 'auto-id-2@example.com', name: 'mixed' });
    const { events } = await json('GET', `/api/events?contactId=${keep}&name=mixed`);
    expect(events.map((e: { contactId: string }) => e.contactId)).toEqual([keep]);
  });

  test('an import row naming two contacts counts as updated and one merge', async () => {
    await contact({ externalId: 'auto-3' });
    await contact({ email: 'auto-3@example.com' });
    const res = await app().app.inject({
      method: 'POST',
      url: '/api/contacts/import',
      headers: { ...app().auth, 'content-type': 'text/csv' },
      payload: 'externalId,email\nauto-3,auto-3@example.com\n',
    });
    expect(res.json()).toMatchObject({ imported: 1, created: 0, updated: 1, merged: 1, failed: [] });
  });

  test('upserts and events racing one automatic merge all end on the survivor', async () => {
    for (let round = 1; round <= 3; round++) {
      const externalId = `race-auto-${round}`;
      const email = `race-auto-${round}@example.com`;
      const byExternalId = await contact({ externalId });
      const byEmail = await contact({ email });
      const answers = await Promise.all([
        call('POST', '/api/contacts', { externalId, email }),
        call('POST', '/api/contacts', { externalId, email }),
        call('POST', '/api/contacts', { externalId, email }),
        call('POST', '/api/events', { externalId, email, name: 'raced' }),
        call('POST', '/api/events', { externalId, email, name: 'raced' }),
        call('POST', '/api/events', { externalId, email, name: 'raced' }),
      ]);
      expect(answers.map((a) => [a.statusCode, a.json().id ?? a.body])).toEqual([
        [200, byExternalId],
        [200, byExternalId],
        [200, byExternalId],
        [202, expect.any(String)],
        [202, expect.any(String)],
        [202, expect.any(String)],
      ]);
      expect((await call('GET', `/api/contacts/${byEmail}`)).json()).toEqual({ mergedInto: byExternalId });
      const { events } = await json('GET', `/api/events?contactId=${byExternalId}&name=raced`);
      expect(events.map((e: { contactId: string }) => e.contactId)).toEqual([byExternalId, byExternalId, byExternalId]);
      const merges = await json('GET', `/api/events?contactId=${byExternalId}&name=contact.merged`);
      expect(merges.events).toHaveLength(1);
    }
  });

  test('settings that forbid the merge answer as before: 409 for an upsert, 400 naming the field for an event', async () => {
    expect(await json('GET', '/api/settings/identity')).toEqual({
      autoMerge: true,
      autoMergeOn: ['externalId', 'email', 'phone'],
    });
    expect(await json('PUT', '/api/settings/identity', { autoMerge: true, autoMergeOn: ['externalId'] })).toEqual({
      autoMerge: true,
      autoMergeOn: ['externalId'],
    });
    const a = await contact({ externalId: 'auto-4' });
    const b = await contact({ email: 'auto-4@example.com' });
    const upsert = await call('POST', '/api/contacts', { externalId: 'auto-4', email: 'auto-4@example.com' });
    expect([upsert.statusCode, upsert.json().error.code]).toEqual([409, 'conflict']);
    const event = await call('POST', '/api/events', { externalId: 'auto-4', email: 'auto-4@example.com', name: 'x' });
    expect(event.statusCode).toBe(400);
    expect(event.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '/email' }] });
    for (const id of [a, b]) expect((await call('GET', `/api/contacts/${id}`)).statusCode).toBe(200);
    const repeated = await call('PUT', '/api/settings/identity', { autoMerge: true, autoMergeOn: ['email', 'email'] });
    expect(repeated.statusCode).toBe(400);
    await json('PUT', '/api/settings/identity', { autoMerge: true, autoMergeOn: ['externalId', 'email', 'phone'] });
  });
});

describe('automatic merges: who survives and who may forbid them', () => {
  const SECRET = 'an-auto-merge-secret-0123';
  const hook = (journeyId: string, payload: object) =>
    app().app.inject({
      method: 'POST',
      url: `/hooks/${journeyId}/hook`,
      headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
      payload,
    });
  async function webhookJourney(settings?: object): Promise<string> {
    const graph = chain(node('hook', 'core.webhook', { secret: SECRET }, 0), node('end', 'core.exit', {}, 100));
    const { id } = await json('POST', '/api/journeys', { name: 'Hooked', graph, ...(settings ? { settings } : {}) });
    await json('POST', `/api/journeys/${id}/publish`);
    return id;
  }

  test('without an externalId the contact the email names survives, not the phone’s', async () => {
    const byPhone = await contact({ phone: '+358401110201' });
    const byEmail = await contact({ email: 'auto-5@example.com' });
    const res = await call('POST', '/api/contacts', { phone: '+358401110201', email: 'auto-5@example.com' });
    expect([res.statusCode, res.json().id]).toEqual([200, byEmail]);
    expect((await call('GET', `/api/contacts/${byPhone}`)).json()).toEqual({ mergedInto: byEmail });
  });

  test('a webhook payload naming two contacts merges them and binds its run to the survivor', async () => {
    const journey = await webhookJourney();
    const byExternalId = await contact({ externalId: 'auto-6' });
    const byEmail = await contact({ email: 'auto-6@example.com' });
    const res = await hook(journey, { externalId: 'auto-6', email: 'auto-6@example.com' });
    expect(res.statusCode).toBe(202);
    const run = await json('GET', `/api/runs/${res.json().runId}`);
    expect(run.contactId).toBe(byExternalId);
    expect((await call('GET', `/api/contacts/${byEmail}`)).json()).toEqual({ mergedInto: byExternalId });
  });

  test('a journey with autoMerge false answers its webhook 400 naming the field and merges nothing', async () => {
    const journey = await webhookJourney({ reentry: 'always', exitOn: [], autoMerge: false });
    const byExternalId = await contact({ externalId: 'auto-7' });
    const byEmail = await contact({ email: 'auto-7@example.com' });
    const res = await hook(journey, { externalId: 'auto-7', email: 'auto-7@example.com' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '/email' }] });
    for (const id of [byExternalId, byEmail]) expect((await call('GET', `/api/contacts/${id}`)).statusCode).toBe(200);
  });

  test('an import row that may not merge fails naming the field; the other rows are stored', async () => {
    await json('PUT', '/api/settings/identity', { autoMerge: false, autoMergeOn: ['externalId', 'email', 'phone'] });
    await contact({ externalId: 'auto-8' });
    await contact({ email: 'auto-8@example.com' });
    const res = await app().app.inject({
      method: 'POST',
      url: '/api/contacts/import',
      headers: { ...app().auth, 'content-type': 'text/csv' },
      payload: 'externalId,email\nauto-8,auto-8@example.com\nauto-9,auto-9@example.com\n',
    });
    await json('PUT', '/api/settings/identity', { autoMerge: true, autoMergeOn: ['externalId', 'email', 'phone'] });
    expect(res.json()).toMatchObject({
      imported: 1,
      created: 1,
      merged: 0,
      failed: [{ row: 1, field: 'email', error: expect.any(String) }],
    });
  });
});
