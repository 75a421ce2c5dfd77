import { type ErrorDetail, parseDuration, ValidationError } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { checkDraft, readDraft } from '../journeys/draft-check.js';
import { invalidGraph } from '../journeys/errors.js';
import { getVersion } from '../journeys/versions.js';
import type { NodeRegistry } from '../registry/registry.js';
import { type CompiledVersion, compileVersion, definitionOf } from '../runs/versions.js';
import type { Runtime } from '../runtime.js';
import { resolveTestContact } from './contact.js';
import { testTrigger } from './trigger-value.js';
import type { TestRunRequest, TestRunResult } from './types.js';
import { walkTestRun } from './walk.js';

/** The graph to walk: a published version as it is, or the draft as it would publish (else 422). */
async function graphToTest(
  db: Kysely<Database>,
  registry: NodeRegistry,
  workspaceId: string,
  journeyId: string,
  which: number | 'draft',
): Promise<CompiledVersion> {
  if (which !== 'draft') {
    const version = await getVersion(db, workspaceId, journeyId, which);
    return compileVersion(journeyId, which, version.graph, version.settings, {}, version.packages);
  }
  const draft = await readDraft(db, workspaceId, journeyId);
  const { problems, pins } = await checkDraft(db, registry, workspaceId, draft);
  if (problems.length) throw invalidGraph(problems);
  // Version 0 stands for the draft in `ctx.run.version`; its nodes run what a publish would pin.
  return compileVersion(journeyId, 0, draft.graph, draft.settings, {}, pins);
}

/** The trigger the walk starts at: the one named, else the graph's first. */
function triggerOf(version: CompiledVersion, registry: NodeRegistry, named: string | undefined): string {
  const isTrigger = (id: string) => {
    const node = version.nodes.get(id);
    return Boolean(node && definitionOf(registry, node)?.kind === 'trigger');
  };
  if (named !== undefined) {
    if (isTrigger(named)) return named;
    throw new ValidationError('the request body is invalid', [
      { path: '/triggerNodeId', message: `body/triggerNodeId: "${named}" is not a trigger node of this graph` },
    ]);
  }
  const first = version.graph.nodes.find((n) => isTrigger(n.id));
  if (!first) throw invalidGraph([{ message: 'the graph has no trigger node to start a test run from' }]);
  return first.id;
}

/** Each event must name a node of the graph and, when delayed, a duration. */
function checkEvents(version: CompiledVersion, events: TestRunRequest['events']): void {
  const details: ErrorDetail[] = [];
  (events ?? []).forEach((event, i) => {
    if (!version.nodes.has(event.afterNode)) {
      const path = `/events/${i}/afterNode`;
      details.push({ path, message: `body${path}: "${event.afterNode}" is not a node of this graph` });
    }
    if (event.delay !== undefined && parseDuration(event.delay) === null) {
      const path = `/events/${i}/delay`;
      details.push({ path, message: `body${path}: "${event.delay}" is not an ISO 8601 duration` });
    }
  });
  if (details.length) throw new ValidationError('the request body is invalid', details);
}

/**
 * `POST /api/journeys/:id/test`: walks the draft (or a version) for one contact on a
 * simulated clock with render-only services, and answers each step and each message it
 * would have sent. Writes no row anywhere. 404 for an unknown journey, version or contact;
 * 422 `invalid_graph` for a draft that would not publish; 400 naming a bad field. Without
 * `readsContacts` no stored contact is read: the trigger's identity makes an inline contact.
 *
 * @example
 * const { steps, messages } = await runTest(runtime, workspaceId, journeyId, { contact: { email: 'ann@x.io' } });
 */
export async function runTest(
  runtime: Runtime,
  workspaceId: string,
  journeyId: string,
  request: TestRunRequest,
  options: { readsContacts?: boolean } = {},
): Promise<TestRunResult> {
  const { db, registry } = runtime;
  const version = await graphToTest(db, registry, workspaceId, journeyId, request.version ?? 'draft');
  const triggerNodeId = triggerOf(version, registry, request.triggerNodeId);
  checkEvents(version, request.events);
  const startAt = request.startAt ? new Date(request.startAt) : new Date();
  const contact = await resolveTestContact(db, workspaceId, request, startAt, options.readsContacts ?? true);
  const { trigger, event } = testTrigger(version, triggerNodeId, request.trigger ?? {}, contact, startAt);
  return walkTestRun({
    runtime,
    workspaceId,
    version,
    triggerNodeId,
    contact,
    trigger,
    triggerEvent: event,
    events: request.events ?? [],
    live: request.live ?? false,
    startAt,
  });
}
