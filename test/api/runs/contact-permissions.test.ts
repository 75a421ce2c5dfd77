import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRun } from '../../../engine/runs/entry/start.js';
import { e, n, publish, testPackage } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { scopedToken } from '../../teams/support.js';
import { storeContact } from '../../test-runs/support.js';

// The run list shows each run's contact email, which is contact data: a token scoped to
// journeys alone reads runs, never the emails of the contacts in them.
let t: TestApp;
let journeysOnly: Record<string, string>;

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
  const j = await publish(t.runtime.db, { nodes: [n('t', 'tst.trigger'), n('a', 'tst.step')], edges: [e('t', 'a')] });
  const contactId = await storeContact(t, { email: 'ada@example.com' });
  await t.runtime.db
    .transaction()
    .execute((trx) => startRun(trx, { ...j, triggerNodeId: 't', contactId, trigger: {} }));
  journeysOnly = await scopedToken(t, ['journeys:read']);
});
afterAll(() => t?.close());

const runs = (query: string, headers: Record<string, string>) =>
  t.app.inject({ method: 'GET', url: `/api/runs${query}`, headers });

describe('the run list for a token without contacts:read', () => {
  test('lists the runs without their contacts’ emails', async () => {
    const res = await runs('', journeysOnly);
    expect(res.statusCode).toBe(200);
    expect(res.json().runs).toHaveLength(1);
    expect(res.json().runs[0]).not.toHaveProperty('contactEmail');
    expect(res.body).not.toContain('ada@example.com');
  });

  test('searching by a contact’s email (q) answers 403 naming contacts:read', async () => {
    const res = await runs('?q=ada', journeysOnly);
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: 'forbidden', details: [{ permission: 'contacts:read' }] });
  });

  test('a token with contacts:read sees and searches the emails', async () => {
    const res = await runs('?q=ada', await scopedToken(t, ['journeys:read', 'contacts:read']));
    expect(res.json().runs.map((r: { contactEmail: string }) => r.contactEmail)).toEqual(['ada@example.com']);
  });
});
