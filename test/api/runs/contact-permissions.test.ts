import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRun } from '../../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, n, publish, runEnds, testPackage } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { scopedToken } from '../../teams/support.js';
import { storeContact } from '../../test-runs/support.js';

// The run list, a run and a failure sample show the contact's email, which is contact data: a
// token scoped to journeys alone reads runs, never the emails of the contacts in them.
let t: TestApp;
let worker: WorkerHandle;
let journeysOnly: Record<string, string>;
let contactReader: Record<string, string>;
let journeyId: string;
let runId: string;

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 100 });
  const j = await publish(t.runtime.db, {
    nodes: [n('t', 'tst.trigger'), n('a', 'tst.flaky', { final: true })],
    edges: [e('t', 'a')],
  });
  journeyId = j.journeyId;
  const contactId = await storeContact(t, { email: 'ada@example.com' });
  const started = await t.runtime.db
    .transaction()
    .execute((trx) => startRun(trx, { ...j, triggerNodeId: 't', contactId, trigger: {} }));
  runId = started!.runId;
  await runEnds(t.runtime.db, runId, ['failed']);
  journeysOnly = await scopedToken(t, ['journeys:read']);
  contactReader = await scopedToken(t, ['journeys:read', 'contacts:read']);
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

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
    const res = await runs('?q=ada', contactReader);
    expect(res.json().runs.map((r: { contactEmail: string }) => r.contactEmail)).toEqual(['ada@example.com']);
  });
});

const failures = (headers: Record<string, string>) =>
  t.app.inject({ method: 'GET', url: `/api/journeys/${journeyId}/failures`, headers });

describe('one run and a failure sample', () => {
  test('name the contact’s email to a token with contacts:read', async () => {
    expect((await runs(`/${runId}`, contactReader)).json()).toMatchObject({ contactEmail: 'ada@example.com' });
    const sample = (await failures(contactReader)).json().groups[0].sample;
    expect(sample).toMatchObject({ runId, contactEmail: 'ada@example.com' });
  });

  test('leave the email out for a token without contacts:read', async () => {
    const run = await runs(`/${runId}`, journeysOnly);
    expect(run.statusCode).toBe(200);
    expect(run.json()).not.toHaveProperty('contactEmail');
    const view = await failures(journeysOnly);
    expect(view.json().groups[0].sample).not.toHaveProperty('contactEmail');
    expect(view.body).not.toContain('ada@example.com');
  });
});
