import { defineNode, definePackage } from '@waymark/sdk';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestApp } from '../support/runtime.js';
import { e, experimentsAppWithWorker, makeContacts, n, publish, runThrough } from './support.js';

// NODES.md core.split "Holdout" and SDK.md: in a token that took control, ctx.messages.send
// stores the message and answers { status: "suppressed", reason: "holdout" } without calling deliver.
let t: TestApp;
let delivered = 0;
const push = defineNode({
  type: 'acme.push',
  version: 1,
  kind: 'action',
  sendsMessages: true,
  title: 'Push',
  description: '',
  category: 'Test',
  params: { type: 'object' },
  outputs: ['out'],
  async run(ctx) {
    const result = await ctx.messages.send({
      channel: 'push',
      category: 'marketing',
      to: 'device-1',
      text: 'Hi',
      deliver: async () => {
        delivered++;
        return {};
      },
    });
    return { next: 'out', output: { result: { status: result.status, reason: result.reason ?? null } } };
  },
});
beforeAll(async () => {
  t = await experimentsAppWithWorker();
  t.runtime.registry.add(definePackage({ name: 'acme-push', version: '1.0.0', nodes: [push] }));
});
afterAll(async () => {
  await t?.close();
});

describe('a holdout token', () => {
  test('a package node sending through ctx.messages stores its message suppressed (holdout) and delivers nothing', async () => {
    const graph = {
      nodes: [
        n('t', 'tst.trigger'),
        n('ab', 'core.split', { variants: [{ key: 'control', weight: 100 }] }),
        n('push', 'acme.push'),
      ],
      edges: [e('t', 'ab'), e('ab', 'push', 'control')],
    };
    const j = await publish(t.runtime.db, graph);
    await runThrough(t, j, await makeContacts(t, 3));
    expect(delivered).toBe(0);
    const { rows } = await sql<{ status: string; reason: string; output: unknown }>`
      select m.status, m.reason, s.output from messages m join steps s on s.run_id = m.run_id and s.node_id = 'push'
      where m.journey_id = ${j.journeyId}`.execute(t.runtime.db);
    expect(rows).toHaveLength(3);
    for (const row of rows)
      expect(row).toMatchObject({
        status: 'suppressed',
        reason: 'holdout',
        output: { result: { status: 'suppressed', reason: 'holdout' } },
      });
  });
});
