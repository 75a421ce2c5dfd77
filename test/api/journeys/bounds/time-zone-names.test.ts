import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../../engine/worker/start-worker.js';
import { e, n, runForNewContact } from '../../../engine/support.js';
import { createTestApp, type TestApp } from '../../../support/runtime.js';
import { draft, hook } from '../../../test-runs/support.js';

let t: TestApp;
let worker: WorkerHandle;
beforeAll(async () => {
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const waitUntil = (timezone: string) => n('wait', 'core.wait', { until: { time: '09:00', timezone } });
const schedule = (timezone: string) => n('tick', 'core.schedule', { cron: '0 9 * * mon', timezone });

async function validate(node: ReturnType<typeof n>) {
  const trigger = node.type === 'core.schedule';
  const id = await draft(t, {
    nodes: trigger ? [node] : [hook(), node],
    edges: trigger ? [] : [e('hook', node.id)],
  });
  const res = await t.app.inject({ method: 'POST', url: `/api/journeys/${id}/validate`, headers: t.auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('a time zone of a node is an IANA name, as a contact’s is', () => {
  test.each(['system', 'local', 'UTC+5', 'utc+14:00'])('core.wait refuses until.timezone "%s"', async (zone) => {
    expect(await validate(waitUntil(zone))).toEqual({
      valid: false,
      errors: [{ nodeId: 'wait', path: '/until/timezone', message: expect.stringContaining(`"${zone}"`) }],
    });
  });

  test.each(['UTC+5', 'system'])('core.schedule refuses timezone "%s"', async (zone) => {
    expect(await validate(schedule(zone))).toEqual({
      valid: false,
      errors: [{ nodeId: 'tick', path: '/timezone', message: expect.stringContaining(`"${zone}"`) }],
    });
  });

  test.each(['UTC', 'Etc/UTC', 'Etc/GMT-5', 'europe/helsinki'])(
    'core.wait and core.schedule take "%s"',
    async (zone) => {
      expect(await validate(waitUntil(zone))).toEqual({ valid: true });
      expect(await validate(schedule(zone))).toEqual({ valid: true });
    },
  );

  test('a contact is refused the same zone names', async () => {
    for (const timezone of ['UTC+5', 'system', 'local']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/contacts',
        headers: t.auth,
        payload: { email: 'zone@example.com', timezone },
      });
      expect(res.statusCode, timezone).toBe(400);
      expect(res.json().error.details).toEqual([{ path: '/timezone', message: expect.any(String) }]);
    }
  });

  test('a version published before the rule, waiting until 09:00 "UTC+5", still runs', async () => {
    const { run, steps } = await runForNewContact(
      t.runtime.db,
      { nodes: [hook(), waitUntil('UTC+5'), n('done', 'core.exit')], edges: [e('hook', 'wait'), e('wait', 'done')] },
      {},
      ['waiting', 'failed'],
    );
    expect(run.status).toBe('waiting');
    const wake = steps.find((s) => s.node_id === 'wait')?.wake_at as Date;
    expect([wake.getUTCHours(), wake.getUTCMinutes()]).toEqual([4, 0]);
  });
});
