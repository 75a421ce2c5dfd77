import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { scopedToken } from '../teams/support.js';
import { draft, hook, storeContact } from './support.js';

// A test run shows the contact it walks: a token scoped to journeys alone must not read stored
// contacts through it.
let t: TestApp;
let contactId: string;
let journeyId: string;
let journeysOnly: Record<string, string>;

beforeAll(async () => {
  t = await createTestApp();
  contactId = await storeContact(t, { email: 'ada@example.com', attributes: { secret: 'ada-s-secret' } });
  journeyId = await draft(t, { nodes: [hook()], edges: [] });
  journeysOnly = await scopedToken(t, ['journeys:read', 'journeys:write']);
});
afterAll(() => t?.close());

const testRun = (payload: object, headers = journeysOnly) =>
  t.app.inject({ method: 'POST', url: `/api/journeys/${journeyId}/test`, headers, payload });

describe('a test run of a token without contacts:read', () => {
  test('naming a stored contact by id answers 403 naming contacts:read', async () => {
    for (const payload of [{ contact: { id: contactId } }, { trigger: { contactId } }]) {
      const res = await testRun(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(403);
      expect(res.json().error).toMatchObject({ code: 'forbidden', details: [{ permission: 'contacts:read' }] });
      expect(res.body).not.toContain('ada-s-secret');
    }
  });

  test('walks a trigger’s known email as a contact typed inline, never the stored one', async () => {
    const res = await testRun({ trigger: { email: 'ada@example.com' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().contact).toMatchObject({ email: 'ada@example.com', attributes: {} });
    expect(res.json().contact.id).not.toBe(contactId);
    expect(res.body).not.toContain('ada-s-secret');
  });

  test('a token with contacts:read walks the stored contact', async () => {
    const res = await testRun({ trigger: { email: 'ada@example.com' } }, t.auth);
    expect(res.json().contact).toMatchObject({ id: contactId, attributes: { secret: 'ada-s-secret' } });
  });
});
