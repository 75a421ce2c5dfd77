import { sql } from 'kysely';
import type { GraphEdge, GraphNode, JourneySettings } from '../../engine/graph/types.js';
import { startRunsForContacts } from '../../engine/runs/entry/start.js';
import { startWorker } from '../../engine/worker/start-worker.js';
import { e, eventually, n, publish, testPackage } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

export { e, eventually, n, publish };

/** An app with the test nodes and the built-in ones. */
export async function experimentsApp(): Promise<TestApp> {
  const t = await createTestApp();
  t.runtime.registry.add(testPackage);
  return t;
}

/** `experimentsApp` with a worker running its steps (polling every 100 ms); `close` stops both. */
export async function experimentsAppWithWorker(): Promise<TestApp> {
  const t = await experimentsApp();
  const worker = await startWorker(t.runtime, { pollInterval: 100 });
  return {
    ...t,
    async close() {
      await worker.stop();
      await t.close();
    },
  };
}

/** trigger → split (variants) → one tst.step per variant. */
export function splitGraph(
  variants: { key: string; weight: number }[],
  winner?: Record<string, unknown>,
): { nodes: GraphNode[]; edges: GraphEdge[] } {
  return {
    nodes: [
      n('t', 'tst.trigger'),
      n('ab', 'core.split', { variants, ...(winner ? { winner } : {}) }),
      ...variants.map((v) => n(`after-${v.key}`, 'tst.step')),
    ],
    edges: [e('t', 'ab'), ...variants.map((v) => e('ab', `after-${v.key}`, v.key))],
  };
}

export const GOAL: JourneySettings['goal'] = { event: 'purchase', windowSeconds: 3600 };

/** `count` new contacts, in one statement; returns their ids in order. */
export async function makeContacts(t: TestApp, count: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    insert into contacts (workspace_id, email)
    select (select id from workspaces where is_default), 'c' || g || '-' || gen_random_uuid() || '@example.com'
    from generate_series(1, ${count}) g
    returning id`.execute(t.runtime.db);
  return rows.map((r) => r.id);
}

/** Starts the journey for the contacts and waits until all their runs have ended. */
export async function runThrough(t: TestApp, journey: { journeyId: string; version: number }, contactIds: string[]) {
  const db = t.runtime.db;
  await db.transaction().execute((trx) => startRunsForContacts(trx, { ...journey, triggerNodeId: 't', contactIds }));
  await eventually(async () => {
    const { rows } = await sql<{ live: number }>`
      select count(*)::int as live from runs where journey_id = ${journey.journeyId}
        and contact_id = any(${contactIds}::uuid[]) and status in ('running', 'waiting')`.execute(db);
    return rows[0]?.live === 0;
  }, 60_000);
}

/** The variant each contact's run took at the split, and how (read from the steps, as the test's own record). */
export async function assignments(t: TestApp, journeyId: string, contactIds: string[]) {
  const { rows } = await sql<{ contact_id: string; variant: string; by: string }>`
    select r.contact_id, s.output ->> 'variant' as variant, s.output ->> 'by' as by
    from runs r join steps s on s.run_id = r.id and s.node_id = 'ab'
    where r.journey_id = ${journeyId} and r.contact_id = any(${contactIds}::uuid[])`.execute(t.runtime.db);
  return new Map(rows.map((r) => [r.contact_id, { variant: r.variant, by: r.by }]));
}

/** Posts an event through the API. */
export async function postEvent(t: TestApp, contactId: string, name: string, properties = {}, timestamp?: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/events',
    headers: t.auth,
    payload: { contactId, name, properties, ...(timestamp ? { timestamp } : {}) },
  });
  if (res.statusCode >= 300) throw new Error(`POST /api/events answered ${res.statusCode}: ${res.body}`);
  return res.json();
}
