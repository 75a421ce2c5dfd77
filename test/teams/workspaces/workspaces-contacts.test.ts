import { describe, expect, test } from 'vitest';
import { eventually } from '../../engine/support.js';
import { graph, SECRET, useTwoWorkspaces } from '../two-workspaces.js';

// Workspace isolation of contacts, events, runs and goals: one email is a contact in each workspace.
const w = useTwoWorkspaces();

describe('two workspaces: contacts and events', () => {
  test('one email is a contact in each workspace, and each side binds its own', async () => {
    const inB = await w.call(
      { method: 'POST', url: '/api/contacts', payload: { email: 'Same@Example.com', attributes: { side: 'b' } } },
      w.bAuth,
    );
    expect(inB.statusCode).toBe(201);
    const bContact = inB.json().id as string;
    expect(bContact).not.toBe(w.a.contact);
    const again = await w.call(
      { method: 'POST', url: '/api/contacts', payload: { email: 'same@example.com' } },
      w.aAuth,
    );
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(w.a.contact);
    expect(again.json().attributes).toEqual({});
    const event = await w.ok<{ id: string }>(
      { method: 'POST', url: '/api/events', payload: { email: 'same@example.com', name: 'b-side' } },
      w.bAuth,
    );
    const bEvents = await w.ok<{ events: { id: string; contactId: string }[] }>(
      { method: 'GET', url: '/api/events?name=b-side' },
      w.bAuth,
    );
    expect(bEvents.events).toEqual([expect.objectContaining({ id: event.id, contactId: bContact })]);
    const aEvents = await w.ok<{ events: unknown[] }>({ method: 'GET', url: '/api/events?name=b-side' }, w.aAuth);
    expect(aEvents.events).toEqual([]);
    // The same idempotency key in each workspace stores an event in each.
    const key = 'same-key-in-both';
    const one = await w.ok<{ id: string }>(
      { method: 'POST', url: '/api/events', payload: { email: 'same@example.com', name: 'k', idempotencyKey: key } },
      w.aAuth,
    );
    const two = await w.ok<{ id: string }>(
      { method: 'POST', url: '/api/events', payload: { email: 'same@example.com', name: 'k', idempotencyKey: key } },
      w.bAuth,
    );
    expect(two.id).not.toBe(one.id);
  });

  test('an event in B starts and resumes nothing of A; a webhook of A binds A’s contact', async () => {
    const bJourney = await w.publishedJourney(w.bAuth, 'B journey');
    await w.ok(
      { method: 'POST', url: '/api/events', payload: { email: 'same@example.com', name: 'signed-up' } },
      w.bAuth,
    );
    const bRuns = await eventually(async () => {
      const r = await w.ok<{ runs: { journeyId: string; contactId: string }[] }>(
        { method: 'GET', url: `/api/runs?journeyId=${bJourney}` },
        w.bAuth,
      );
      return r.runs.length ? r.runs : undefined;
    });
    expect(bRuns.map((r) => r.journeyId)).toEqual([bJourney]);
    const aRuns = await w.ok<{ runs: { contactId: string; journeyId: string }[] }>(
      { method: 'GET', url: `/api/runs?journeyId=${w.a.journey}` },
      w.aAuth,
    );
    // Only the webhook run of the setup: B's `signed-up` started no run of A's journey.
    expect(aRuns.runs).toHaveLength(1);
    expect(aRuns.runs[0]?.contactId).toBe(w.a.contact);

    const hook = await w.t.app.inject({
      method: 'POST',
      url: `/hooks/${bJourney}/hook`,
      headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'same@example.com' }),
    });
    expect(hook.statusCode).toBe(202);
    const run = await w.ok<{ contactId: string }>({ method: 'GET', url: `/api/runs/${hook.json().runId}` }, w.bAuth);
    expect(run.contactId).not.toBe(w.a.contact);
    const contact = await w.ok<{ email: string }>({ method: 'GET', url: `/api/contacts/${run.contactId}` }, w.bAuth);
    expect(contact.email).toBe('same@example.com');
    expect((await w.call({ method: 'GET', url: `/api/runs/${hook.json().runId}` }, w.aAuth)).statusCode).toBe(404);
  });

  test('a goal event in B converts none of A’s runs; the same event in A does', async () => {
    const { id } = await w.ok<{ id: string }>(
      {
        method: 'POST',
        url: '/api/journeys',
        payload: { name: 'A goal', graph, settings: { goal: { event: 'purchase', windowSeconds: 86400 } } },
      },
      w.aAuth,
    );
    await w.ok({ method: 'POST', url: `/api/journeys/${id}/publish` }, w.aAuth);
    const hook = await w.t.app.inject({
      method: 'POST',
      url: `/hooks/${id}/hook`,
      headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'same@example.com' }),
    });
    const runId = hook.json().runId as string;
    const conversion = async () =>
      (await w.ok<{ conversion: unknown }>({ method: 'GET', url: `/api/runs/${runId}` }, w.aAuth)).conversion;

    // B's contact has A's contact's email: still another contact, so A's run does not convert.
    await w.ok(
      { method: 'POST', url: '/api/events', payload: { email: 'same@example.com', name: 'purchase' } },
      w.bAuth,
    );
    expect(await conversion()).toBeNull();
    const analytics = await w.ok<{ runs: { converted: number } }>(
      { method: 'GET', url: `/api/journeys/${id}/analytics` },
      w.aAuth,
    );
    expect(analytics.runs.converted).toBe(0);

    const event = await w.ok<{ id: string }>(
      { method: 'POST', url: '/api/events', payload: { email: 'same@example.com', name: 'purchase' } },
      w.aAuth,
    );
    expect(await conversion()).toMatchObject({ eventId: event.id });
  });
});
