import { type KyselyPlugin, RawNode, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dispatcherFor } from '../../../engine/runs/dispatch.js';
import { WebhookAccepter } from '../../../engine/runs/webhook/accept.js';
import { StaleWebhookTargetError, webhookTarget } from '../../../engine/runs/webhook/webhook.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { e, n, publish, testPackage } from '../support.js';

let t: TestRuntime;

beforeAll(async () => {
  t = await createTestRuntime();
  t.runtime.registry.add(testPackage);
});
afterAll(async () => {
  await t?.close();
});

const graph = () => ({
  nodes: [n('hook', 'core.webhook', { secret: 'a-webhook-secret-of-some-length' }), n('a', 'tst.step')],
  edges: [e('hook', 'a')],
});

/** An accepter over the test database that counts the statements starting runs. */
function countingAccepter(): { accepter: WebhookAccepter; statements: () => number } {
  let statements = 0;
  const counter: KyselyPlugin = {
    transformQuery({ node }) {
      if (RawNode.is(node) && node.sqlFragments.some((f) => f.includes('insert into runs'))) statements++;
      return node;
    },
    async transformResult({ result }) {
      return result;
    },
  };
  return {
    accepter: new WebhookAccepter(
      t.runtime.db.withPlugin(counter),
      t.runtime.intakeDb.withPlugin(counter),
      dispatcherFor(t.runtime.db, t.runtime.logger),
    ),
    statements: () => statements,
  };
}

async function runsOf(journeyId: string) {
  return t.runtime.db
    .selectFrom('runs')
    .select(['id', 'contact_id', 'trigger'])
    .where('journey_id', '=', journeyId)
    .execute();
}

describe('webhook calls accepted in groups', () => {
  test('calls that arrive together start in a few statements, each answered with its own run', async () => {
    const j = await publish(t.runtime.db, graph());
    const target = await webhookTarget(t.runtime.db, j.journeyId, 'hook');
    const { accepter, statements } = countingAccepter();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => accepter.accept(target, { email: `group${i}@example.com`, n: i }, null)),
    );
    expect(answers.every((a) => a.statusCode === 202)).toBe(true);
    expect(statements()).toBeLessThan(20);
    const runs = new Map((await runsOf(j.journeyId)).map((r) => [r.id, r]));
    expect(runs.size).toBe(200);
    // Each answer names the run its own payload started.
    answers.forEach((answer, i) => {
      expect(runs.get(answer.body.runId ?? '')?.trigger).toEqual({ email: `group${i}@example.com`, n: i });
    });
    await accepter.drain();
  });

  test('calls naming the same new contact together create it once', async () => {
    const j = await publish(t.runtime.db, graph());
    const target = await webhookTarget(t.runtime.db, j.journeyId, 'hook');
    const { accepter } = countingAccepter();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => accepter.accept(target, { email: 'Twice@Example.com' }, null)),
    );
    expect(new Set(answers.map((a) => a.body.runId)).size).toBe(20);
    const contacts = new Set((await runsOf(j.journeyId)).map((r) => r.contact_id));
    expect(contacts.size).toBe(1);
    await accepter.drain();
  });

  test('with once-at-a-time, one call for a contact starts a run and the others are turned away', async () => {
    const j = await publish(t.runtime.db, graph(), { reentry: 'once-at-a-time' });
    const target = await webhookTarget(t.runtime.db, j.journeyId, 'hook');
    const { accepter } = countingAccepter();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => accepter.accept(target, { email: 'solo@example.com' }, null)),
    );
    expect(answers.filter((a) => a.statusCode === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.statusCode === 200 && a.body.skipped === 'reentry')).toHaveLength(9);
    await accepter.drain();
  });

  test('a call whose identity spans two contacts fails on its own, naming the field; its group starts', async () => {
    // With automatic merges forbidden for the journey (contracts/identity.md): else they merge.
    await t.runtime.db
      .insertInto('contacts')
      .values([
        { workspace_id: sql`(select id from workspaces where is_default)`, email: 'split@example.com' },
        { workspace_id: sql`(select id from workspaces where is_default)`, phone: '+14155550100' },
      ])
      .execute();
    const j = await publish(t.runtime.db, graph(), { autoMerge: false });
    const target = await webhookTarget(t.runtime.db, j.journeyId, 'hook');
    const { accepter } = countingAccepter();
    const settled = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, i) => accepter.accept(target, { email: `peer${i}@example.com` }, null)),
      accepter.accept(target, { email: 'split@example.com', phone: '+14155550100' }, null),
    ]);
    expect(settled.slice(0, 10).every((s) => s.status === 'fulfilled' && s.value.statusCode === 202)).toBe(true);
    // The spanning call gets the answer binding it alone gives (`bindContact`), not its peers'.
    expect(settled[10]).toMatchObject({
      status: 'rejected',
      reason: { code: 'validation_failed', details: [{ path: '/phone' }] },
    });
    await accepter.drain();
  });

  test('a call on a journey paused since its target was read is refused as stale', async () => {
    const j = await publish(t.runtime.db, graph());
    const target = await webhookTarget(t.runtime.db, j.journeyId, 'hook');
    await t.runtime.db.updateTable('journeys').set({ status: 'paused' }).where('id', '=', j.journeyId).execute();
    const { accepter } = countingAccepter();
    await expect(accepter.accept(target, { email: 'late@example.com' }, null)).rejects.toBeInstanceOf(
      StaleWebhookTargetError,
    );
    expect(await runsOf(j.journeyId)).toHaveLength(0);
  });

  test('groups start on connections that plan their statement once, generically; other statements plan as usual', async () => {
    const mode = async (db: typeof t.runtime.db) =>
      (await sql<{ plan_cache_mode: string }>`show plan_cache_mode`.execute(db)).rows[0]?.plan_cache_mode;
    expect(await mode(t.runtime.intakeDb)).toBe('force_generic_plan');
    expect(await mode(t.runtime.db)).toBe('auto');
  });
});
