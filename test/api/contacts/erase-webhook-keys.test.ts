import { describe, expect, test } from 'vitest';
import { chain, identityApp, node } from '../../identity/support.js';

// A webhook call's Idempotency-Key is the caller's text and may hold the address: the erase of
// the contact it named takes it, so a repeat afterwards is a new call (server/README.md).
const { app, call, json } = identityApp();

const SECRET = 'erase-keys-secret-0123456789';

async function onceJourney(): Promise<string> {
  const graph = chain(
    node('t', 'core.webhook', { secret: SECRET }, 0),
    node('w', 'core.wait-for-event', { event: 'purchase', timeout: 'P1D' }, 100),
  );
  const { id } = await json('POST', '/api/journeys', { name: 'Once', graph, settings: { reentry: 'once' } });
  await json('POST', `/api/journeys/${id}/publish`);
  return id;
}

const hook = (journeyId: string, key: string, payload: object) =>
  app().app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/t`,
    headers: { 'x-waymark-secret': SECRET, 'idempotency-key': key },
    payload,
  });

describe('erasing a contact and the webhook keys that named it', () => {
  test('takes the key of a call the re-entry rule turned away too', async () => {
    const journeyId = await onceJourney();
    const email = 'keyed.person@example.com';
    const first = await hook(journeyId, `signup-${email}-1`, { email });
    expect(first.statusCode).toBe(202);
    const turnedAway = await hook(journeyId, `signup-${email}-2`, { email });
    expect(turnedAway.json()).toEqual({ runId: null, skipped: 'reentry' });
    const { contactId } = await json('GET', `/api/runs/${first.json().runId}`);
    // Another contact's turned-away key stays.
    await hook(journeyId, 'other-1', { email: 'other@example.com' });
    const otherAway = await hook(journeyId, 'other-2', { email: 'other@example.com' });

    expect((await call('DELETE', `/api/contacts/${contactId}`)).statusCode).toBe(204);

    const { rows } = await app().runtime.pool.query(
      'select key from webhook_keys where strpos(key, $1) > 0 or strpos(response::text, $1) > 0',
      [email],
    );
    expect(rows).toEqual([]);
    // Nothing remembers the call: its repeat is a new one, and the address enters as a new contact.
    const repeat = await hook(journeyId, `signup-${email}-2`, { email });
    expect(repeat.statusCode).toBe(202);
    expect((await hook(journeyId, 'other-2', { email: 'other@example.com' })).json()).toEqual(otherAway.json());
  });

  test('takes the keys that named a contact merged into the erased one', async () => {
    const journeyId = await onceJourney();
    const email = 'merged.away@example.com';
    const first = await hook(journeyId, `lead-${email}-1`, { email });
    await hook(journeyId, `lead-${email}-2`, { email });
    const { contactId: mergedAway } = await json('GET', `/api/runs/${first.json().runId}`);
    const { id: survivor } = await json('POST', '/api/contacts', { externalId: 'crm-77' });
    await json('POST', `/api/contacts/${survivor}/merge`, { from: mergedAway });

    expect((await call('DELETE', `/api/contacts/${survivor}`)).statusCode).toBe(204);

    const { rows } = await app().runtime.pool.query('select key from webhook_keys where strpos(key, $1) > 0', [email]);
    expect(rows).toEqual([]);
  });
});
