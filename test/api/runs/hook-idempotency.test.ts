import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n, publish, testPackage } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
const SECRET = 'a-webhook-secret-of-some-length';

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
});
afterAll(async () => {
  await t?.close();
});

function post(journeyId: string, key?: string) {
  return t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: {
      'content-type': 'application/json',
      'x-waymark-secret': SECRET,
      ...(key ? { 'idempotency-key': key } : {}),
    },
    payload: '{}',
  });
}

async function hookJourney(): Promise<string> {
  const graph = { nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('a', 'tst.step')], edges: [e('hook', 'a')] };
  return (await publish(t.runtime.db, graph)).journeyId;
}

async function runsOf(journeyId: string): Promise<string[]> {
  const runs = await t.runtime.db.selectFrom('runs').select('id').where('journey_id', '=', journeyId).execute();
  return runs.map((r) => r.id);
}

describe('Idempotency-Key under concurrent repeats (API.md "Webhook triggers")', () => {
  test('many repeats of a few keys answer 202 with one run per key or 409, and unrelated calls meanwhile get 202', async () => {
    const journeyId = await hookJourney();
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5'];
    const keyed = keys.flatMap((key) =>
      Array.from({ length: 40 }, async () => ({ key, res: await post(journeyId, key) })),
    );
    const unrelated = Array.from({ length: 50 }, (_, i) => post(journeyId, `other-${i}`));
    const answers = await Promise.all(keyed);
    const others = await Promise.all(unrelated);

    expect(others.map((r) => r.statusCode)).toEqual(others.map(() => 202));
    const runIdsByKey = new Map<string, Set<string>>();
    for (const { key, res } of answers) {
      expect([202, 409]).toContain(res.statusCode);
      if (res.statusCode === 409) expect(res.json().error.code).toBe('conflict');
      else runIdsByKey.set(key, (runIdsByKey.get(key) ?? new Set()).add(res.json().runId));
    }
    for (const key of keys) expect(runIdsByKey.get(key)?.size).toBe(1);
    expect(await runsOf(journeyId)).toHaveLength(keys.length + others.length);
  });

  test('repeats of a key whose first call is in progress elsewhere get 409 within seconds, and unrelated calls still 202', async () => {
    const journeyId = await hookJourney();
    // The first call, in another server process, holds its key in an open transaction. The app
    // has 10 connections: repeats that each held one while they waited would leave none.
    const elsewhere = await t.database.pool.connect();
    try {
      await elsewhere.query('begin');
      await elsewhere.query(`insert into webhook_keys (journey_id, node_id, key) values ($1, 'hook', 'busy')`, [
        journeyId,
      ]);
      const began = Date.now();
      const repeats = Array.from({ length: 30 }, () => post(journeyId, 'busy'));
      const unrelated = Array.from({ length: 30 }, (_, i) => post(journeyId, `other-${i}`));
      const others = await Promise.all(unrelated);
      expect(others.map((r) => r.statusCode)).toEqual(others.map(() => 202));
      const answers = await Promise.all(repeats);
      expect(answers.map((r) => [r.statusCode, r.json().error?.code])).toEqual(answers.map(() => [409, 'conflict']));
      expect(Date.now() - began).toBeLessThan(5_000);
    } finally {
      await elsewhere.query('rollback');
      elsewhere.release();
    }
    expect((await post(journeyId, 'busy')).statusCode).toBe(202);
    expect(await runsOf(journeyId)).toHaveLength(31);
  });

  test('a keyed call whose contact another transaction is writing waits for it, rather than 409', async () => {
    const journeyId = await hookJourney();
    const first = await t.app.inject({
      method: 'POST',
      url: `/hooks/${journeyId}/hook`,
      headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
      payload: { email: 'busy@example.com' },
    });
    expect(first.statusCode).toBe(202);
    // A write of the contact (an update through the API, a step's tag) holds its row lock longer than a key's brief wait.
    const elsewhere = await t.database.pool.connect();
    let answer: Awaited<ReturnType<typeof post>>;
    try {
      await elsewhere.query('begin');
      await elsewhere.query(`select 1 from contacts where email = 'busy@example.com' for update`);
      const call = t.app.inject({
        method: 'POST',
        url: `/hooks/${journeyId}/hook`,
        headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET, 'idempotency-key': 'waits' },
        payload: { email: 'busy@example.com' },
      });
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await elsewhere.query('commit');
      answer = await call;
    } finally {
      elsewhere.release();
    }
    expect([answer.statusCode, answer.json().error?.code]).toEqual([202, undefined]);
    expect(await runsOf(journeyId)).toHaveLength(2);
  });
});
