import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n, publish } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// API.md "Webhook triggers": a payload naming a contact binds the run to it, created if new,
// as POST /api/contacts does.
let t: TestApp;
const SECRET = 'a-webhook-secret-of-some-length';

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

async function hookJourney(): Promise<string> {
  const j = await publish(t.runtime.db, {
    nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('done', 'core.exit')],
    edges: [e('hook', 'done')],
  });
  return j.journeyId;
}

const post = (journeyId: string, payload: object, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET, ...headers },
    payload: JSON.stringify(payload),
  });

/** The contact the answer's run is bound to, as GET /api/contacts/:id shows it. */
async function contactOfRun(answer: { json: () => { runId: string } }) {
  const run = (await t.app.inject({ url: `/api/runs/${answer.json().runId}`, headers: t.auth })).json();
  if (!run.contactId) return null;
  return (await t.app.inject({ url: `/api/contacts/${run.contactId}`, headers: t.auth })).json();
}

const withEmail = async (email: string) =>
  (
    await t.app.inject({
      url: `/api/contacts?segment=${encodeURIComponent(JSON.stringify({ attr: 'email', op: 'eq', value: email }))}`,
      headers: t.auth,
    })
  ).json().contacts;

const contact = async (payload: object): Promise<string> =>
  (await t.app.inject({ method: 'POST', url: '/api/contacts', headers: t.auth, payload })).json().id;

const runsOf = async (journeyId: string) =>
  (await t.app.inject({ url: `/api/runs?journeyId=${journeyId}`, headers: t.auth })).json().runs;

describe('a webhook payload naming its contact twice', () => {
  test('a contactId and an email of another contact answer 400 naming /email and start nothing', async () => {
    const journeyId = await hookJourney();
    const ann = await contact({ email: 'hook-ann@example.com' });
    await contact({ email: 'hook-bob@example.com' });
    const res = await post(journeyId, { contactId: ann, email: 'hook-bob@example.com' });
    expect([res.statusCode, res.json().error.code]).toEqual([400, 'validation_failed']);
    expect(res.json().error.details).toEqual([expect.objectContaining({ path: '/email' })]);
    expect(await runsOf(journeyId)).toEqual([]);
  });

  test('a contactId and the contact’s own email bind the run to it', async () => {
    const journeyId = await hookJourney();
    const ann = await contact({ email: 'hook-own@example.com' });
    const res = await post(journeyId, { contactId: ann, email: 'Hook-Own@example.com' });
    expect(res.statusCode).toBe(202);
    expect((await runsOf(journeyId)).map((r: { contactId: string }) => r.contactId)).toEqual([ann]);
  });
});

describe('a webhook payload’s timezone', () => {
  test('is stored on the new contact the payload names', async () => {
    const res = await post(await hookJourney(), { email: 'tz-new@example.com', timezone: 'Europe/Helsinki' });
    expect(res.statusCode).toBe(202);
    expect(await contactOfRun(res)).toMatchObject({ email: 'tz-new@example.com', timezone: 'Europe/Helsinki' });
  });

  test('replaces a known contact’s, as POST /api/contacts does', async () => {
    await contact({ externalId: 'tz-known', timezone: 'Europe/Stockholm' });
    const res = await post(await hookJourney(), { externalId: 'tz-known', timezone: 'America/New_York' });
    expect(res.statusCode).toBe(202);
    expect(await contactOfRun(res)).toMatchObject({ externalId: 'tz-known', timezone: 'America/New_York' });
  });

  test('null clears a known contact’s, as POST /api/contacts does', async () => {
    await contact({ externalId: 'tz-cleared', timezone: 'Europe/Stockholm' });
    const res = await post(await hookJourney(), { externalId: 'tz-cleared', timezone: null });
    expect(res.statusCode).toBe(202);
    expect(await contactOfRun(res)).toMatchObject({ externalId: 'tz-cleared', timezone: null });
  });

  test('is stored on the contact a contactId names', async () => {
    const id = await contact({ email: 'tz-by-id@example.com' });
    const res = await post(await hookJourney(), { contactId: id, timezone: 'Asia/Tokyo' });
    expect(res.statusCode).toBe(202);
    expect(await contactOfRun(res)).toMatchObject({ id, timezone: 'Asia/Tokyo' });
  });

  test('is stored under an Idempotency-Key too, once', async () => {
    const journeyId = await hookJourney();
    const payload = { email: 'tz-keyed@example.com', timezone: 'Europe/Paris' };
    const first = await post(journeyId, payload, { 'idempotency-key': 'tz-1' });
    const again = await post(journeyId, payload, { 'idempotency-key': 'tz-1' });
    expect(again.json()).toEqual(first.json());
    expect(await contactOfRun(first)).toMatchObject({ timezone: 'Europe/Paris' });
  });

  test('that is no IANA name answers 400 naming /timezone, as a bad email does, and stores nothing', async () => {
    const journeyId = await hookJourney();
    const res = await post(journeyId, { email: 'tz-bad@example.com', timezone: 'Mars/Olympus' });
    expect([res.statusCode, res.json().error.code]).toEqual([400, 'validation_failed']);
    expect(res.json().error.details).toEqual([
      { path: '/timezone', message: 'timezone is not an IANA time zone name' },
    ]);
    expect([await runsOf(journeyId), await withEmail('tz-bad@example.com')]).toEqual([[], []]);
  });

  test('in a payload naming no contact is mere data: the run starts anonymous', async () => {
    const res = await post(await hookJourney(), { timezone: 'Mars/Olympus' });
    expect(res.statusCode).toBe(202);
    expect(await contactOfRun(res)).toBeNull();
  });
});

describe('a webhook payload’s externalId', () => {
  test('of 256 characters answers 400 naming /externalId and starts nothing, as POST /api/contacts does', async () => {
    const journeyId = await hookJourney();
    const res = await post(journeyId, { externalId: randomBytes(300).toString('base64url').slice(0, 256) });
    expect([res.statusCode, res.json().error.code]).toEqual([400, 'validation_failed']);
    expect(res.json().error.details).toEqual([
      { path: '/externalId', message: 'externalId must be at most 255 characters' },
    ]);
    expect(await runsOf(journeyId)).toEqual([]);
  });
});
