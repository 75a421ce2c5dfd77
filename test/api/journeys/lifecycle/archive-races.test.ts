import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../../engine/worker/start-worker.js';
import { e, eventually, n, publish, testPackage } from '../../../engine/support.js';
import { createTestApp, type TestApp } from '../../../support/runtime.js';

// An archive ends a journey's runs while the worker writes their steps and events resume their
// waits: each locks a run before its steps (migrations/0068), so neither waits on the other in
// a circle, which PostgreSQL broke by failing one (the archive answered 500).
let t: TestApp;
let worker: WorkerHandle;
const SECRET = 'a-webhook-secret-of-some-length';

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const archive = (journeyId: string) =>
  t.app.inject({ method: 'DELETE', url: `/api/journeys/${journeyId}`, headers: t.auth });

const emit = (email: string, name: string) =>
  t.app.inject({ method: 'POST', url: '/api/events', headers: t.auth, payload: { email, name } });

/** The journey's runs and open steps and waits, once none is running any more. */
async function settled(journeyId: string) {
  const db = t.runtime.db;
  const runs = await eventually(async () => {
    const rows = await db.selectFrom('runs').select('status').where('journey_id', '=', journeyId).execute();
    return rows.every((r) => r.status !== 'running') && rows;
  });
  const open = await db
    .selectFrom('steps')
    .select('id')
    .where('journey_id', '=', journeyId)
    .where('status', 'in', ['pending', 'running', 'waiting'])
    .execute();
  const waits = await db.selectFrom('waits').select('id').where('journey_id', '=', journeyId).execute();
  return { statuses: runs.map((r) => r.status), open: open.length, waits: waits.length };
}

describe('archiving a journey while its runs move', () => {
  test('answers 204 every time its steps are being written, and leaves no step open', async () => {
    const failures: string[] = [];
    for (let i = 0; i < 60; i++) {
      const j = await publish(t.runtime.db, {
        nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('a', 'tst.step'), n('b', 'tst.step')],
        edges: [e('hook', 'a'), e('a', 'b')],
      });
      const hook = await t.app.inject({
        method: 'POST',
        url: `/hooks/${j.journeyId}/hook`,
        headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
        payload: '{}',
      });
      expect(hook.statusCode).toBe(202);
      // Archived at a different moment of the run each time, from before its first step to after its last.
      await new Promise((resolve) => setTimeout(resolve, i % 15));
      const res = await archive(j.journeyId);
      if (res.statusCode !== 204) failures.push(`#${i}: ${res.statusCode} ${res.body}`);
      const { statuses, open } = await settled(j.journeyId);
      expect(['exited', 'completed']).toContain(statuses[0]);
      expect(open).toBe(0);
    }
    expect(failures).toEqual([]);
  }, 120_000);

  test('answers 204 every time an event resumes its waiting runs at that moment, and the event is stored', async () => {
    const failures: string[] = [];
    for (let i = 0; i < 30; i++) {
      const j = await publish(t.runtime.db, {
        nodes: [
          n('signup', 'core.event', { event: `signed-up-${i}` }),
          n('w', 'core.wait-for-event', { event: 'clicked', timeout: 'PT30M' }),
          n('a', 'tst.step'),
        ],
        edges: [e('signup', 'w'), e('w', 'a', 'event')],
      });
      const email = `race-${i}@example.com`;
      expect((await emit(email, `signed-up-${i}`)).statusCode).toBe(202);
      await eventually(async () => {
        const run = await t.runtime.db
          .selectFrom('runs')
          .select('status')
          .where('journey_id', '=', j.journeyId)
          .executeTakeFirst();
        return run?.status === 'waiting';
      });
      const [clicked, archived] = await Promise.all([emit(email, 'clicked'), archive(j.journeyId)]);
      if (clicked.statusCode !== 202) failures.push(`#${i} event: ${clicked.statusCode} ${clicked.body}`);
      if (archived.statusCode !== 204) failures.push(`#${i} archive: ${archived.statusCode} ${archived.body}`);
      const { statuses, open, waits } = await settled(j.journeyId);
      expect(['exited', 'completed']).toContain(statuses[0]);
      expect({ open, waits }).toEqual({ open: 0, waits: 0 });
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
