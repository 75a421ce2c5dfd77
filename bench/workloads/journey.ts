import { sql } from 'kysely';
import { startRunsForContacts } from '../../engine/runs/entry/start.js';
import { cpuBetween, postgresCpu } from '../cpu.js';
import { scaled } from '../database.js';
import { type BenchInstance, createInstance, importContacts, publishJourney, waitForRuns } from '../instance.js';
import type { BenchResult } from '../result.js';

/** A graph node at height `y`. */
export const node = (id: string, type: string, params: object, y: number) => ({
  id,
  type,
  version: 1,
  params,
  position: { x: 0, y },
});
const edge = (source: string, sourceHandle: string, target: string) => ({
  id: `${source}-${sourceHandle}-${target}`,
  source,
  sourceHandle,
  target,
});

/** webhook → condition → split → crm.tag → exit, as issue 10 draws it. */
export const FIVE_NODE_GRAPH = {
  nodes: [
    node('hook', 'core.webhook', { secret: 'bench-secret-0123456789' }, 0),
    node('cond', 'core.condition', { filter: { attr: 'plan', op: 'exists' } }, 100),
    node(
      'split',
      'core.split',
      {
        variants: [
          { key: 'a', weight: 50 },
          { key: 'b', weight: 50 },
        ],
      },
      200,
    ),
    node('tag', 'crm.tag', { action: 'add', tag: 'bench' }, 300),
    node('exit', 'core.exit', { goal: 'done' }, 400),
  ],
  edges: [
    edge('hook', 'out', 'cond'),
    edge('cond', 'yes', 'split'),
    edge('cond', 'no', 'exit'),
    edge('split', 'a', 'tag'),
    edge('split', 'b', 'tag'),
    edge('tag', 'out', 'exit'),
  ],
};

/**
 * Imports `contacts` contacts, publishes the 5-node journey and starts a run for each (their
 * first steps queued, no worker yet); returns the journey's id.
 */
export async function queueFiveNodeRuns(instance: BenchInstance, contacts: number): Promise<string> {
  await importContacts(instance.app, contacts, (i) => ({ plan: i % 2 ? 'pro' : 'free' }));
  const journeyId = await publishJourney(instance.app, FIVE_NODE_GRAPH);
  const ids = (await sql<{ id: string }>`select id from contacts`.execute(instance.runtime.db)).rows.map((r) => r.id);
  for (let i = 0; i < ids.length; i += 5000) {
    await instance.runtime.db
      .transaction()
      .execute((trx) =>
        startRunsForContacts(trx, { journeyId, version: 1, triggerNodeId: 'hook', contactIds: ids.slice(i, i + 5000) }),
      );
  }
  return journeyId;
}

/** Contacts through the 5-node journey: contact-steps per second once the worker drains the queue. */
export async function journeyThroughput(ceiling: number | null, floor: number | null = null): Promise<BenchResult[]> {
  const contacts = scaled(10_000);
  const instance = await createInstance();
  try {
    const journeyId = await queueFiveNodeRuns(instance, contacts);
    const cpu = process.cpuUsage();
    const pg = postgresCpu();
    await instance.startWorker();
    const ms = await waitForRuns(instance.runtime, journeyId, ['completed', 'failed'], contacts);
    // Four steps per contact run in the worker (condition, split, tag, exit); the trigger step is written at entry.
    const steps = contacts * 4;
    const stepsPerSecond = Math.round(steps / (ms / 1000));
    // CPU per step is steadier than steps/s on a shared machine: it shows what a change saved.
    const used = process.cpuUsage(cpu);
    const workerUs = Math.round((used.user + used.system) / steps);
    const pgMs = cpuBetween(pg, postgresCpu());
    const pgUs = pgMs === null ? 'n/a' : Math.round((pgMs * 1000) / steps);
    return [
      {
        workload: 'journey: 5-node throughput',
        metric: 'contact-steps/s',
        value: stepsPerSecond,
        unit: 'steps/s',
        ratio: ceiling ? { to: 'ceiling', value: stepsPerSecond / ceiling, goal: '≥ 1.0×' } : undefined,
        notes: `${contacts} contacts, ${Math.round(ms)} ms; CPU/step: worker ${workerUs} µs + PostgreSQL ${pgUs} µs${floor ? `; ${(stepsPerSecond / floor).toFixed(2)}× its rows written bare` : ''}`,
      },
    ];
  } finally {
    await instance.close();
  }
}
