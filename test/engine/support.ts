import type { ContactEvent, JsonObject } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../../engine/db/database.js';
import type { GraphEdge, GraphNode, JourneySettings } from '../../engine/graph/types.js';
import { insertRuns } from '../../engine/runs/entry/insert-runs.js';
import { startRun } from '../../engine/runs/entry/start.js';
import { EVENT_CANDIDATES, type EventCandidates } from '../../engine/runs/event-candidates.js';
import { applyEventEffects } from '../../engine/runs/event-effects.js';
import { loadVersion } from '../../engine/runs/versions.js';

export { calls, flaky, testPackage } from './test-nodes.js';

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

/** Starts a run of `journey` at its trigger `t` for `contactId` (or none), in a transaction of its own; returns its id. */
export async function startAtTrigger(
  db: Kysely<Database>,
  journey: { journeyId: string; version: number },
  contactId: string | null,
  trigger: JsonObject = {},
): Promise<string> {
  const started = await db
    .transaction()
    .execute((trx) => startRun(trx, { ...journey, triggerNodeId: 't', contactId, trigger }));
  return started?.runId as string;
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

/**
 * Creates a contact with `email` (in the default workspace) and starts its run of a published
 * version at `triggerNodeId` with `trigger`; resolves with the run's id once it reaches one of
 * `statuses`.
 */
export async function runForEmail(
  db: Kysely<Database>,
  at: { journeyId: string; version: number; triggerNodeId: string },
  email: string,
  trigger: JsonObject,
  statuses?: string[],
): Promise<string> {
  const contact = await db
    .insertInto('contacts')
    .values({ workspace_id: sql`(select id from workspaces where is_default)`, email })
    .returning('id')
    .executeTakeFirstOrThrow();
  const started = await db.transaction().execute((trx) => startRun(trx, { ...at, contactId: contact.id, trigger }));
  if (!started) throw new Error(`no run started for ${email}`);
  await runEnds(db, started.runId, statuses);
  return started.runId;
}

/**
 * What `event` sets off (applyEventEffects), in a transaction of its own, for an event that is
 * not stored (its contact need not exist): its candidates read as the storing statement reads
 * them. Returns how many runs it started.
 */
export async function applyEvent(db: Kysely<Database>, event: ContactEvent): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<EventCandidates>`
      select ${EVENT_CANDIDATES}
      from (select ${event.contactId}::uuid as contact_id, ${event.name}::text as name, ${event.timestamp}::timestamptz as at,
        (select workspace_id from contacts where id = ${event.contactId}) as workspace_id) e`.execute(trx);
    const found = rows[0];
    if (!found) throw new Error('the candidates statement answered no row');
    return applyEventEffects(trx, event, found);
  });
}
