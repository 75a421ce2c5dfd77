import {
  type AnyNodeDefinition,
  type Contact,
  type JsonObject,
  type JsonValue,
  type NodeContext,
  NodeError,
  type Resume,
  renderParams,
} from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { loadContact } from '../contacts/load.js';
import { createContactsService } from '../contacts/service.js';
import { createCredentialsService } from '../credentials/service.js';
import type { Database } from '../db/database.js';
import type { GraphNode } from '../graph/types.js';
import { createHttpClient } from '../http/client.js';
import { createLeadsService } from '../leads/service.js';
import { createMessagesService } from '../messages/service.js';
import type { Runtime } from '../runtime.js';
import type { StepScope } from '../services/step-scope.js';
import { paramsWithDefaults } from './versions.js';

/** The run as a step sees it. */
export interface RunRow {
  id: string;
  journeyId: string;
  version: number;
  contactId: string | null;
  trigger: JsonObject;
  triggerNodeId: string;
  startedAt: string;
}

/** The step being executed. */
export interface StepRef {
  id: string;
  nodeId: string;
  parentStepId: string | null;
  attempts: number;
  resume: Resume | null;
}

/** Outputs of the steps on a token's path (its parent chain), by node id. */
export async function pathOutputs(
  db: Kysely<Database>,
  run: RunRow,
  parentStepId: string | null,
): Promise<Record<string, { output: JsonValue }>> {
  if (!parentStepId) return {};
  const { rows } = await sql<{ node_id: string; output: JsonValue | null; parent_step_id: string | null }>`
    with recursive chain as (
      select id, parent_step_id, node_id, output, 0 as depth from steps where id = ${parentStepId}
      union all
      select s.id, s.parent_step_id, s.node_id, s.output, c.depth + 1
      from steps s join chain c on s.id = c.parent_step_id where c.depth < 1000
    )
    select node_id, output, parent_step_id from chain order by depth desc
  `.execute(db);
  const steps: Record<string, { output: JsonValue }> = {};
  for (const row of rows) {
    // The trigger step keeps no copy of the payload: it is the run's trigger.
    steps[row.node_id] = { output: row.parent_step_id === null ? run.trigger : (row.output ?? null) };
  }
  return steps;
}

async function contactOf(db: Kysely<Database>, contactId: string | null): Promise<Contact | null> {
  if (!contactId) return null;
  try {
    return await loadContact(db, contactId);
  } catch (error) {
    // Until the contact store lands, runs still move (ctx.contact stays null).
    if (/not implemented/.test(String((error as Error).message))) return null;
    throw error;
  }
}

/** A service made on first use, so a node that never touches an unfinished service still runs. */
function lazy<T extends object>(make: () => T): T {
  let made: T | undefined;
  return new Proxy({} as T, {
    get(_target, property) {
      made ??= make();
      const value = Reflect.get(made, property);
      return typeof value === 'function' ? value.bind(made) : value;
    },
  });
}

/**
 * Builds `ctx` for one execution: params with defaults and templates rendered against
 * contact/trigger/steps/run, and services scoped to the step (`db` is the transaction for
 * inline steps). A template that fails to render fails the step (NodeError).
 */
export async function buildNodeContext(input: {
  runtime: Runtime;
  db: Kysely<Database>;
  run: RunRow;
  step: StepRef;
  node: GraphNode;
  definition: AnyNodeDefinition;
  signal: AbortSignal;
}): Promise<NodeContext<never>> {
  const { runtime, db, run, step, node, definition } = input;
  const [contact, steps] = await Promise.all([contactOf(db, run.contactId), pathOutputs(db, run, step.parentStepId)]);
  const runInfo = { id: run.id, journeyId: run.journeyId, version: run.version, startedAt: run.startedAt };
  let params: JsonValue;
  try {
    params = await renderParams(definition.params, paramsWithDefaults(definition, node.params), {
      contact,
      trigger: run.trigger,
      steps,
      run: runInfo,
    });
  } catch (error) {
    throw new NodeError(`a template in the params does not render: ${(error as Error).message}`, { cause: error });
  }
  const scope: StepScope = {
    runtime,
    db,
    runId: run.id,
    journeyId: run.journeyId,
    version: run.version,
    nodeId: node.id,
    contactId: run.contactId,
    idempotencyKey: step.id,
    now: () => new Date(),
  };
  const ctx = {
    params,
    node: { id: node.id, type: node.type, version: node.version },
    contact,
    trigger: run.trigger,
    steps,
    run: runInfo,
    idempotencyKey: step.id,
    attempt: step.attempts,
    resume: step.resume,
    signal: input.signal,
    log: runtime.logger.child({ runId: run.id, nodeId: node.id, stepId: step.id }),
    now: () => new Date(),
    contacts: lazy(() => createContactsService(scope)),
    messages: lazy(() => createMessagesService(scope)),
    http: lazy(() => createHttpClient(scope)),
    credentials: lazy(() => createCredentialsService(scope, definition.credentials ?? [])),
    leads: lazy(() => createLeadsService(scope)),
  };
  return ctx as unknown as NodeContext<never>;
}
