import { describe, expect, test } from 'vitest';
import { eraseContact } from '../../../engine/contacts/privacy/erase.js';
import { chain, identityApp, node } from '../../identity/support.js';

// Calls that name a contact while its erase is in progress (deleted, not yet committed): what
// they write must be the erase's to delete, or belong to a contact made after it.
const { app, call, json, contact } = identityApp();

const SECRET = 'erase-race-secret-0123456789';

/** A live journey whose webhook runs wait a day for a purchase. */
async function waitingJourney(): Promise<string> {
  const graph = chain(
    node('t', 'core.webhook', { secret: SECRET }, 0),
    node('w', 'core.wait-for-event', { event: 'purchase', timeout: 'P1D' }, 100),
  );
  const { id } = await json('POST', '/api/journeys', { name: 'Waits', graph });
  await json('POST', `/api/journeys/${id}/publish`);
  return id;
}

/** Erases the contact, running `during` once its rows are deleted and before the erase commits. */
async function eraseWhile(contactId: string, during: () => Promise<void>): Promise<void> {
  const { runtime } = app();
  const { workspace_id } = await runtime.db
    .selectFrom('contacts')
    .select('workspace_id')
    .where('id', '=', contactId)
    .executeTakeFirstOrThrow();
  await eraseContact(runtime.db, workspace_id, contactId, runtime.keys.erasure.current, during);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Posts `payload` to the journey's webhook while the contact's erase is in progress; the run the call started. */
async function hookWhileErasing(journeyId: string, erased: string, payload: object) {
  let answer: ReturnType<typeof call> | undefined;
  await eraseWhile(erased, async () => {
    answer = app().app.inject({
      method: 'POST',
      url: `/hooks/${journeyId}/t`,
      headers: { 'x-waymark-secret': SECRET },
      payload,
    });
    // Long enough for the call's statements to run while the erase holds the contact.
    await pause(500);
  });
  const res = await answer;
  expect(res?.statusCode).toBe(202);
  return json('GET', `/api/runs/${res?.json().runId}`);
}

describe('a webhook call racing an erase', () => {
  test('starts its run on a new contact, leaving no run on the erased one', async () => {
    const journeyId = await waitingJourney();
    const erased = await contact({ email: 'racing@example.com' });
    const run = await hookWhileErasing(journeyId, erased, { email: 'racing@example.com', note: 'typed by them' });
    expect(run.contactId).not.toBe(erased);
    expect((await call('GET', `/api/contacts/${run.contactId}`)).json().email).toBe('racing@example.com');
    expect((await json('GET', `/api/runs?contactId=${erased}`)).runs).toEqual([]);
  });

  test('with a time zone, the one stored, binds a new contact too', async () => {
    const journeyId = await waitingJourney();
    const erased = await contact({ email: 'zoned@example.com', timezone: 'Europe/Helsinki' });
    const run = await hookWhileErasing(journeyId, erased, { email: 'zoned@example.com', timezone: 'Europe/Helsinki' });
    expect(run.contactId).not.toBe(erased);
    const bound = (await call('GET', `/api/contacts/${run.contactId}`)).json();
    expect(bound).toMatchObject({ email: 'zoned@example.com', timezone: 'Europe/Helsinki' });
    expect((await json('GET', `/api/runs?contactId=${erased}`)).runs).toEqual([]);
  });
});

describe('an event racing an erase', () => {
  test('is stored on a new contact for its address, not refused with a 500', async () => {
    const erased = await contact({ email: 'eventful@example.com' });
    let answer: ReturnType<typeof call> | undefined;
    await eraseWhile(erased, async () => {
      answer = call('POST', '/api/events', {
        email: 'eventful@example.com',
        name: 'visited',
        properties: { page: '/' },
      });
      await pause(500);
    });
    const res = await answer;
    expect(res?.statusCode).toBe(202);
    const { events } = await json('GET', '/api/events?name=visited');
    expect(events).toEqual([expect.objectContaining({ id: res?.json().id, properties: { page: '/' } })]);
    expect(events[0].contactId).not.toBe(erased);
    expect((await call('GET', `/api/contacts/${events[0].contactId}`)).json().email).toBe('eventful@example.com');
  });
});

describe('a tag or a list added racing an erase', () => {
  test.each([
    ['tags', { tag: 'vip' }],
    ['lists', { list: 'newsletter' }],
  ])('POST /api/contacts/:id/%s answers 404, as for an unknown contact, not 500', async (route, body) => {
    const erased = await contact({ email: `${route}.racing@example.com` });
    let answer: ReturnType<typeof call> | undefined;
    await eraseWhile(erased, async () => {
      answer = call('POST', `/api/contacts/${erased}/${route}`, body);
      await pause(500);
    });
    const res = await answer;
    expect(res?.statusCode).toBe(404);
    expect(res?.json().error.code).toBe('not_found');
  });
});
