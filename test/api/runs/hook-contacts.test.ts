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

const post = (journeyId: string, payload: object) =>
  t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
    payload: JSON.stringify(payload),
  });

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
