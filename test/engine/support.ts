import { defineNode, definePackage, NodeError, RetryableError } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../../engine/db/database.js';
import type { GraphEdge, GraphNode, JourneySettings } from '../../engine/graph/types.js';
import { insertRuns } from '../../engine/runs/insert-runs.js';
import { loadVersion } from '../../engine/runs/versions.js';

/** Calls of the test nodes, by step idempotency key, to check what ran and how often. */
export const calls: { nodeId: string; key: string; attempt: number; resume: string | null }[] = [];
export const flaky = new Map<string, number>();

const text = { type: 'object', properties: { label: { type: 'string', format: 'template' } } } as const;

export const testPackage = definePackage({
  name: 'test-nodes',
  version: '1.0.0',
  nodes: [
    defineNode({
      type: 'tst.trigger',
      version: 1,
      kind: 'trigger',
      title: 'Trigger',
      description: '',
      category: 'Test',
      params: { type: 'object', properties: { secret: { type: 'string' }, schema: { type: 'object' } } },
      outputs: ['out'],
      async run() {
        return { next: 'out' };
      },
    }),
    defineNode({
      type: 'tst.step',
      version: 1,
      kind: 'action',
      title: 'Step',
      description: '',
      category: 'Test',
      params: text,
      outputs: ['out'],
      async run(ctx) {
        calls.push({ nodeId: ctx.node.id, key: ctx.idempotencyKey, attempt: ctx.attempt, resume: null });
        return { next: 'out', output: { label: ctx.params.label ?? null, seen: Object.keys(ctx.steps).sort() } };
      },
    }),
    defineNode({
      type: 'tst.if',
      version: 1,
      kind: 'condition',
      title: 'If',
      description: '',
      category: 'Test',
      inline: true,
      params: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
      outputs: ['yes', 'no'],
      async run(ctx) {
        return { next: ctx.trigger[ctx.params.key] ? 'yes' : 'no' };
      },
    }),
    defineNode({
      type: 'tst.both',
      version: 1,
      kind: 'condition',
      title: 'Both',
      description: '',
      category: 'Test',
      params: { type: 'object' },
      outputs: ['a', 'b'],
      async run() {
        return { next: ['a', 'b'] };
      },
    }),
    defineNode({
      type: 'tst.sleep',
      version: 1,
      kind: 'wait',
      title: 'Sleep',
      description: '',
      category: 'Test',
      params: { type: 'object', properties: { ms: { type: 'number' } }, required: ['ms'] },
      outputs: ['out'],
      async run(ctx) {
        if (ctx.resume?.kind === 'time') return { next: 'out', output: { woke: ctx.now().toISOString() } };
        return { wait: { until: new Date(ctx.now().getTime() + ctx.params.ms) } };
      },
    }),
    defineNode({
      type: 'tst.await',
      version: 1,
      kind: 'wait',
      title: 'Await',
      description: '',
      category: 'Test',
      params: {
        type: 'object',
        properties: { event: { type: 'string' }, ms: { type: 'number' }, filter: { type: 'object' } },
        required: ['event', 'ms'],
      },
      outputs: ['event', 'timeout'],
      async run(ctx) {
        if (ctx.resume?.kind === 'event') return { next: 'event', output: { event: ctx.resume.event.properties } };
        if (ctx.resume?.kind === 'timeout') return { next: 'timeout' };
        const filter = ctx.params.filter as never;
        return {
          wait: {
            event: ctx.params.event,
            ...(filter ? { filter } : {}),
            timeoutAt: new Date(Date.now() + ctx.params.ms),
          },
        };
      },
    }),
    defineNode({
      type: 'tst.flaky',
      version: 1,
      kind: 'action',
      title: 'Flaky',
      description: '',
      category: 'Test',
      maxAttempts: 3,
      params: { type: 'object', properties: { failures: { type: 'number' }, final: { type: 'boolean' } } },
      outputs: ['out'],
      async run(ctx) {
        calls.push({ nodeId: ctx.node.id, key: ctx.idempotencyKey, attempt: ctx.attempt, resume: null });
        if (ctx.params.final) throw new NodeError('this is final');
        if (ctx.attempt <= (ctx.params.failures ?? 0)) throw new RetryableError(`gateway said no (${ctx.attempt})`);
        return { next: 'out', output: { attempt: ctx.attempt } };
      },
    }),
    defineNode({
      type: 'tst.garbage',
      version: 1,
      kind: 'action',
      title: 'Garbage',
      description: '',
      category: 'Test',
      params: { type: 'object' },
      outputs: ['out'],
      async run() {
        return 42 as never;
      },
    }),
    defineNode({
      type: 'tst.hang',
      version: 1,
      kind: 'action',
      title: 'Hang',
      description: '',
      category: 'Test',
      timeoutMs: 200,
      maxAttempts: 2,
      params: { type: 'object' },
      outputs: ['out'],
      async run() {
        await new Promise(() => {});
        return { next: 'out' };
      },
    }),
    defineNode({
      type: 'tst.slow',
      version: 1,
      kind: 'action',
      title: 'Slow',
      description: '',
      category: 'Test',
      params: { type: 'object', properties: { ms: { type: 'number' } } },
      outputs: ['out'],
      async run(ctx) {
        await new Promise((r) => setTimeout(r, ctx.params.ms ?? 300));
        return { next: 'out', output: { slept: true } };
      },
    }),
  ],
});

let edgeCount = 0;
/** A node of a test graph. */
export const n = (id: string, type: string, params: Record<string, unknown> = {}): GraphNode => ({
  id,
  type,
  version: 1,
  params: params as GraphNode['params'],
  position: { x: 0, y: 0 },
});
/** An edge of a test graph. */
export const e = (source: string, target: string, sourceHandle = 'out'): GraphEdge => ({
  id: `e${++edgeCount}`,
  source,
  sourceHandle,
  target,
});

/**
 * Publishes a graph as the journey's next version, straight into the tables (the journeys
 * API belongs to another part). Returns the journey id and version.
 */
export async function publish(
  db: Kysely<Database>,
  graph: { nodes: GraphNode[]; edges: GraphEdge[] },
  settings: Partial<JourneySettings> = {},
  journeyId?: string,
): Promise<{ journeyId: string; version: number }> {
  const full = { reentry: 'always', exitOn: [], ...settings } as JourneySettings;
  const id =
    journeyId ??
    (
      await db
        .insertInto('journeys')
        .values({
          workspace_id: sql`(select id from workspaces where is_default)`,
          name: 'test',
          status: 'live',
          draft_graph: JSON.stringify(graph),
          draft_settings: JSON.stringify(full),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  const last = await db
    .selectFrom('journey_versions')
    .select((eb) => eb.fn.max('version').as('v'))
    .where('journey_id', '=', id)
    .executeTakeFirst();
  const version = Number(last?.v ?? 0) + 1;
  await db
    .insertInto('journey_versions')
    .values({ journey_id: id, version, graph: JSON.stringify(graph), settings: JSON.stringify(full) })
    .execute();
  await db.updateTable('journeys').set({ published_version: version, status: 'live' }).where('id', '=', id).execute();
  return { journeyId: id, version };
}

/** Polls until `check` returns a value other than undefined/false, or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the run has ended (or parked, with `status`), and returns it with its steps. */
export async function runEnds(
  db: Kysely<Database>,
  runId: string,
  statuses = ['completed', 'failed', 'exited'],
  ms = 10_000,
) {
  const run = await eventually(async () => {
    const r = await db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirst();
    return r && statuses.includes(r.status) ? r : undefined;
  }, ms);
  const steps = await db.selectFrom('steps').selectAll().where('run_id', '=', runId).orderBy('seq').execute();
  return { run, steps };
}

/**
 * Creates a contact (in the default workspace, with `attributes` and `timezone`), publishes
 * `graph` and starts its run at the trigger `hook`; waits until the run ends (or parks, with
 * `statuses`) and returns it with its steps and the contact.
 */
export async function runForNewContact(
  db: Kysely<Database>,
  graph: Parameters<typeof publish>[1],
  contact: { attributes?: object; timezone?: string } = {},
  statuses?: string[],
) {
  const created = await db
    .insertInto('contacts')
    .values({
      workspace_id: sql`(select id from workspaces where is_default)`,
      email: `c${Math.random().toString(36).slice(2)}@example.com`,
      attributes: sql`${JSON.stringify(contact.attributes ?? {})}::jsonb`,
      ...(contact.timezone ? { timezone: contact.timezone } : {}),
    })
    .returning(['id', 'email'])
    .executeTakeFirstOrThrow();
  const j = await publish(db, graph);
  const version = await loadVersion(db, j.journeyId, j.version);
  if (!version) throw new Error('no version');
  const { runIds } = await insertRuns(db, {
    version,
    triggerNodeId: 'hook',
    output: 'out',
    contacts: { ids: [created.id] },
    trigger: {},
  });
  return { ...(await runEnds(db, runIds[0] ?? '', statuses)), contact: created };
}
