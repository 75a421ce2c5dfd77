import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { e, eventually, n, publish } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { draft, postTest } from '../test-runs/support.js';
import { segmentField } from './support.js';

// API.md "Contacts": emails are stored lower-cased and matched case-insensitively, so every
// clause on `email`, wherever a filter runs, reads its value as lower-cased.
let t: TestApp;
let worker: WorkerHandle;
const SECRET = 'a-webhook-secret-of-some-length';

beforeAll(async () => {
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 200 });
  for (const email of ['ann@example.com', 'bob@example.com'])
    await t.app.inject({ method: 'POST', url: '/api/contacts', headers: t.auth, payload: { email } });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const segmentEmails = (filter: object) => segmentField(t, filter, 'email');

const conditionGraph = (filter: object) => ({
  nodes: [
    n('hook', 'core.webhook', { secret: SECRET }),
    n('cond', 'core.condition', { filter }),
    n('yes', 'core.exit', { goal: 'matched' }),
    n('no', 'core.exit', { goal: 'missed' }),
  ],
  edges: [e('hook', 'cond'), e('cond', 'yes', 'yes'), e('cond', 'no', 'no')],
});

describe('a filter clause on email', () => {
  test.each([
    [{ op: 'eq', value: 'Ann@Example.COM' }, ['ann@example.com']],
    [{ op: 'neq', value: 'Ann@Example.COM' }, ['bob@example.com']],
    [{ op: 'in', value: ['ANN@EXAMPLE.COM', 'nobody@example.com'] }, ['ann@example.com']],
    [{ op: 'nin', value: ['ANN@EXAMPLE.COM'] }, ['bob@example.com']],
    [{ op: 'contains', value: 'ANN@' }, ['ann@example.com']],
    [{ op: 'lt', value: 'B' }, ['ann@example.com']],
  ])('in a segment, %o matches whatever the case', async (clause, emails) => {
    expect((await segmentEmails({ attr: 'email', ...clause })).sort()).toEqual(emails);
  });

  test('in a computed attribute matches whatever the case', async () => {
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/computed-attributes/isAnn',
      headers: t.auth,
      payload: { definition: { kind: 'filter', filter: { attr: 'email', op: 'eq', value: 'ANN@example.com' } } },
    });
    expect(put.statusCode, put.body).toBeLessThan(300);
    const ann = await t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: t.auth,
      payload: { email: 'ann@example.com' },
    });
    expect(ann.json().computed).toEqual({ isAnn: true });
  });

  test('in a live journey’s condition matches whatever the case', async () => {
    const j = await publish(t.runtime.db, conditionGraph({ attr: 'email', op: 'eq', value: 'Ann@Example.COM' }));
    const res = await t.app.inject({
      method: 'POST',
      url: `/hooks/${j.journeyId}/hook`,
      headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
      payload: JSON.stringify({ email: 'ann@example.com' }),
    });
    expect(res.statusCode, res.body).toBe(202);
    const run = await eventually(async () => {
      const r = (await t.app.inject({ url: `/api/runs/${res.json().runId}`, headers: t.auth })).json();
      return r.status === 'completed' ? r : undefined;
    });
    expect(run.outcome).toBe('matched');
  });

  test('in a test run’s condition matches whatever the case', async () => {
    const id = await draft(t, conditionGraph({ attr: 'email', op: 'in', value: ['ANN@example.com'] }));
    const res = await postTest(t, id, { contact: { email: 'ann@example.com' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().steps[1].next).toBe('yes');
  });
});
