import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { insertRuns } from '../../../engine/runs/entry/insert-runs.js';
import { createStepBatch } from '../../../engine/runs/step/step-batch.js';
import { loadVersion } from '../../../engine/runs/versions.js';
import { startWorker } from '../../../engine/worker/start-worker.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { e, eventually, n, publish } from '../support.js';

let t: TestRuntime;
beforeAll(async () => {
  t = await createTestRuntime();
});
afterAll(async () => {
  await t?.close();
});

async function contacts(count: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    insert into contacts (workspace_id, email) select (select id from workspaces where is_default), 'w' || g || '-' || gen_random_uuid() || '@batch.test'
    from generate_series(1, ${count}::int) g returning id`.execute(t.runtime.db);
  return rows.map((r) => r.id);
}

const tagOf = async (contactId: string, tag: string) =>
  t.runtime.db
    .selectFrom('contact_tags')
    .select(['count', 'expires_at', 'removed'])
    .where('contact_id', '=', contactId)
    .where('tag', '=', tag)
    .executeTakeFirst();

describe("a batch's tag writes", () => {
  test('tags added by the steps of one batch are each answered and each counted', async () => {
    const [a, b] = await contacts(2);
    const batch = createStepBatch(t.runtime.db);
    const states = await Promise.all([
      batch.addTag({ contactId: a as string, tag: 'vip' }),
      batch.addTag({ contactId: b as string, tag: 'vip', ttlSeconds: 3600 }),
      batch.addTag({ contactId: a as string, tag: 'vip' }),
      batch.addTag({ contactId: a as string, tag: 'new' }),
    ]);
    expect(states.map((s) => [s.tag, s.count, s.active])).toEqual([
      ['vip', 2, true],
      ['vip', 1, true],
      ['vip', 2, true],
      ['new', 1, true],
    ]);
    expect(states[1]?.expiresAt).not.toBeNull();
    expect((await tagOf(a as string, 'vip'))?.count).toBe(2);
  });

  test("a tag's default lifespan applies when the step gives none, and null means none", async () => {
    const [a, b] = await contacts(2);
    await sql`insert into tags (workspace_id, tag, ttl_seconds)
      values ((select id from workspaces where is_default), 'trial', 60)`.execute(t.runtime.db);
    const batch = createStepBatch(t.runtime.db);
    const [given, forever] = await Promise.all([
      batch.addTag({ contactId: a as string, tag: 'trial' }),
      batch.addTag({ contactId: b as string, tag: 'trial', ttlSeconds: null }),
    ]);
    expect(given?.expiresAt).not.toBeNull();
    expect(forever?.expiresAt).toBeNull();
  });

  test('a contact that does not exist fails its own write only', async () => {
    const [a] = await contacts(1);
    const batch = createStepBatch(t.runtime.db);
    const [good, bad] = await Promise.allSettled([
      batch.addTag({ contactId: a as string, tag: 'ok' }),
      batch.addTag({ contactId: randomUUID(), tag: 'ok' }),
    ]);
    expect(good.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    expect((await tagOf(a as string, 'ok'))?.count).toBe(1);
  });

  test('300 contacts through a tag node end tagged once each', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [
        n('hook', 'core.webhook', { secret: 'a-webhook-secret-of-some-length' }),
        n('tag', 'crm.tag', { action: 'add', tag: 'batched' }),
        n('done', 'core.exit', { goal: 'done' }),
      ],
      edges: [e('hook', 'tag'), e('tag', 'done')],
    });
    const version = await loadVersion(t.runtime.db, j.journeyId, j.version);
    if (!version) throw new Error('no version');
    const ids = await contacts(300);
    await insertRuns(t.runtime.db, { version, triggerNodeId: 'hook', output: 'out', contacts: { ids }, trigger: {} });
    const worker = await startWorker(t.runtime, { pollInterval: 200 });
    try {
      await eventually(async () => {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from runs where journey_id = ${j.journeyId} and status = 'completed'`.execute(
          t.runtime.db,
        );
        return (rows[0]?.n ?? 0) === 300 || undefined;
      }, 30_000);
    } finally {
      await worker.stop();
    }
    const { rows } = await sql<{ count: number; contacts: number }>`
      select count, count(*)::int as contacts from contact_tags where tag = 'batched' group by count`.execute(
      t.runtime.db,
    );
    expect(rows).toEqual([{ count: 1, contacts: 300 }]);
  });
});

describe('the writer during an upgrade', () => {
  test('refuses a batch in the shape a worker older than its database sends, writing nothing', async () => {
    const rootId = randomUUID();
    const oldShape = [
      { id: rootId, kind: 'complete', output: null, outputs: ['out'], next: ['b'], inline: ['b'] },
      {
        id: randomUUID(),
        kind: 'complete',
        create: { rootId, parentStepId: rootId, nodeId: 'b' },
        output: null,
        outputs: [],
        next: [],
      },
    ];
    const write = sql`
      select waymark_write_steps(${JSON.stringify(oldShape)}::jsonb, '[]'::jsonb, 'waymark.step', 10::smallint, 100, null)
    `.execute(t.runtime.db);
    await expect(write).rejects.toThrow(/shape before migration 0060/);
  });
});
