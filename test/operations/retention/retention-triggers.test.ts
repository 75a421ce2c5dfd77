import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n, publish } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { insertOldRun } from '../support/old-runs.js';

// The steps setting deleted an ended run's steps but kept its trigger payload (a webhook's body:
// an address, a name, a note) for ever, though the trigger step's output is that payload and
// personal data is not to be kept past retention. server/README.md "Retention clears a run's
// trigger with its steps".
let t: TestApp;
let journey: { journeyId: string; version: number };
beforeAll(async () => {
  t = await createTestApp();
  journey = await publish(t.runtime.db, {
    nodes: [n('t', 'core.webhook', { secret: 'x'.repeat(20) }), n('a', 'core.exit')],
    edges: [e('t', 'a')],
  });
});
afterAll(() => t.close());

const PAYLOAD = { email: 'payload@example.com', note: 'call me after 5' };

/** A run of the journey started and ended so many days ago (null: not ended), with its trigger step. */
const run = (status: 'completed' | 'failed' | 'waiting', startedDays: number, endedDays: number | null) =>
  insertOldRun(t.runtime.db, journey, { status, startedDays, endedDays, trigger: PAYLOAD, nodes: ['t'] });

const shown = async (runId: string) => (await t.app.inject({ url: `/api/runs/${runId}`, headers: t.auth })).json();
const enforce = async (settings: object) => {
  await t.app.inject({ method: 'PUT', url: '/api/settings/retention', headers: t.auth, payload: settings });
  const res = await t.app.inject({ method: 'POST', url: '/api/settings/retention/enforce', headers: t.auth });
  expect(res.statusCode).toBe(200);
};

describe('the steps setting clears the trigger payload of the runs whose steps it deletes', () => {
  test('a completed or failed run that ended before the cutoff keeps no payload', async () => {
    const completed = await run('completed', 100, 95);
    const failed = await run('failed', 100, 40);
    await enforce({ steps: 'P30D' });
    for (const id of [completed, failed]) {
      const r = await shown(id);
      expect(r).toMatchObject({ id, steps: [] });
      expect(r.trigger).toEqual({});
    }
    const { rows } = await t.runtime.pool.query('select trigger from runs where id = any($1)', [[completed, failed]]);
    expect(rows).toEqual([{ trigger: {} }, { trigger: {} }]);
  });

  test('a run that ended after the cutoff, or is still waiting, keeps its payload and steps', async () => {
    const recent = await run('completed', 100, 10);
    const waiting = await run('waiting', 100, null);
    await enforce({ steps: 'P30D' });
    for (const id of [recent, waiting]) {
      const r = await shown(id);
      expect(r.trigger).toEqual(PAYLOAD);
      expect(r.steps).toEqual([expect.objectContaining({ nodeId: 't', output: PAYLOAD })]);
    }
  });

  test('without a steps setting every payload is kept', async () => {
    const old = await run('completed', 400, 399);
    await enforce({ events: 'P30D' });
    expect((await shown(old)).trigger).toEqual(PAYLOAD);
  });
});
