import { type Span, trace } from '@opentelemetry/api';
import {
  type AnyNodeDefinition,
  type Contact,
  type JsonObject,
  type JsonValue,
  type NodeContext,
  paramsRenderFailure,
  type Resume,
  renderParams,
  UNSUBSCRIBE_URL_PLACEHOLDER,
} from '@waymark/sdk';
import type { Kysely } from 'kysely';
import { loadContact } from '../../contacts/load.js';
import type { StepSecrets } from '../../credentials/step-secrets.js';
import type { Database } from '../../db/database.js';
import type { GraphNode } from '../../graph/types.js';
import { stepLogFields } from '../../observability/step-log-fields.js';
import { StepLogger } from '../../observability/step-logger.js';
import type { Runtime } from '../../runtime.js';
import type { StepBatchServices, StepScope } from '../../services/step-scope.js';
import { paramsHaveTemplates, paramsWithDefaults } from '../versions.js';
import { pathOutputs } from './path.js';
import { productionServices, type ServiceUse, type StepServices } from './services.js';

/** The run as a step sees it. */
export interface RunRow {
  id: string;
  /** The workspace of the run's journey (and of its contact). */
  workspaceId: string;
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
  /** A retried step's: the failed step's id, so a call that landed before is recognised. */
  idempotencyKey?: string;
  /** The due time of the wait it parked in before, kept when a retry resumes it. */
  dueAt?: Date;
}

/** What `ctx` is made of. */
interface ContextInput {
  runtime: Runtime;
  run: RunRow;
  step: StepRef;
  node: GraphNode;
  definition: AnyNodeDefinition;
  /** The step's abort signal, made on first use (`invokeNode`). */
  signal: () => AbortSignal;
  /** The credential values the step reads, hidden from its log lines (`invokeNode`). */
  secrets: StepSecrets;
  contact: Contact | null;
  steps: Record<string, { output: JsonValue }>;
  now: () => Date;
  services: StepServices;
}

async function contactOf(db: Kysely<Database>, run: RunRow): Promise<Contact | null> {
  return run.contactId ? loadContact(db, run.workspaceId, run.contactId) : null;
}

/**
 * Assembles `ctx` from what the step sees: params with defaults and templates rendered
 * against contact/trigger/steps/run, the clock and the services given. Production passes the
 * stored contact and path with `productionServices`; test runs pass simulated ones. A
 * template that fails to render fails the step (NodeError).
 *
 * @example
 * const ctx = await assembleNodeContext({ ...step, contact, steps, now: () => clock, services });
 */
export async function assembleNodeContext(input: ContextInput): Promise<NodeContext<never>> {
  const { run, node, definition, contact, steps } = input;
  const runInfo = { id: run.id, journeyId: run.journeyId, version: run.version, startedAt: run.startedAt };
  let params: JsonValue = paramsWithDefaults(definition, node.params);
  try {
    // Params without a template are only copied: rendering would rebuild them unchanged.
    if (paramsHaveTemplates(definition, node.params))
      params = await renderParams(definition.params, params, {
        contact,
        trigger: run.trigger,
        steps,
        run: runInfo,
        unsubscribeUrl: UNSUBSCRIBE_URL_PLACEHOLDER,
      });
  } catch (error) {
    throw paramsRenderFailure(error);
  }
  // The step's span is the one active now; the fields are made only if the node logs.
  return new StepContext(input, params, runInfo, trace.getActiveSpan()) as unknown as NodeContext<never>;
}

/**
 * A step's `ctx`: its data as fields, its signal, log and services read through on first use
 * (most nodes reach for one service or none). A class, so that a step makes one object: an
 * object literal with seven getters made seven closures a step and defined each accessor anew.
 */
class StepContext {
  readonly node: { id: string; type: string; version: number };
  readonly contact: Contact | null;
  readonly trigger: JsonObject;
  readonly steps: Record<string, { output: JsonValue }>;
  readonly idempotencyKey: string;
  readonly attempt: number;
  readonly resume: Resume | null;
  readonly now: () => Date;
  readonly #input: ContextInput;
  readonly #span: Span | undefined;
  #log: NodeContext<never>['log'] | undefined;

  constructor(
    input: ContextInput,
    readonly params: JsonValue,
    readonly run: NodeContext<never>['run'],
    span: Span | undefined,
  ) {
    const { node, step } = input;
    this.node = { id: node.id, type: node.type, version: node.version };
    this.contact = input.contact;
    this.trigger = input.run.trigger;
    this.steps = input.steps;
    this.idempotencyKey = step.idempotencyKey ?? step.id;
    this.attempt = step.attempts;
    this.resume = step.resume;
    this.now = input.now;
    this.#input = input;
    this.#span = span;
  }

  get signal(): AbortSignal {
    return this.#input.signal();
  }

  // Its child logger is made at the first line written.
  get log(): NodeContext<never>['log'] {
    const { runtime, run, step, node, secrets } = this.#input;
    const span = this.#span;
    this.#log ??= new StepLogger(
      runtime.logger,
      () => stepLogFields(run, { id: step.id, nodeId: node.id, nodeType: node.type }, span),
      secrets,
    );
    return this.#log;
  }

  get contacts() {
    return this.#input.services.contacts;
  }

  get messages() {
    return this.#input.services.messages;
  }

  get http() {
    return this.#input.services.http;
  }

  // What it returns is kept as the step's secrets (its scope's, `createCredentialsService`).
  get credentials() {
    return this.#input.services.credentials;
  }

  get leads() {
    return this.#input.services.leads;
  }
}

/**
 * The runtime's clock as a function. Returned, not assigned: tsx names an arrow assigned to a
 * name (a defineProperty a step), and a bound function builds its "bound …" name.
 */
function clockOf(runtime: Runtime): () => Date {
  return () => runtime.clock.now();
}

/** The contact and path outputs a step sees, when its caller already has them (inline chains). */
export interface KnownView {
  contact: Contact | null;
  steps: Record<string, { output: JsonValue }>;
}

/**
 * Builds `ctx` for one execution: the contact and the path's outputs as stored (or as
 * `known` gives them), and services scoped to the step (`db` is the transaction for inline
 * steps; `onServiceUse` runs before each service call). A template that fails to render
 * fails the step (NodeError).
 */
export async function buildNodeContext(input: {
  runtime: Runtime;
  db: Kysely<Database>;
  run: RunRow;
  step: StepRef;
  node: GraphNode;
  definition: AnyNodeDefinition;
  signal: () => AbortSignal;
  secrets: StepSecrets;
  known?: KnownView;
  onServiceUse?: ServiceUse;
  /** Shared by the steps of a batch (`step/step-batch.ts`). */
  batch?: StepBatchServices;
  /** The source its contact writes name by default (`writeSourceOf`). */
  source: string;
  /** Its contact writes take effect only while its run is live (`StepScope.whileRunLive`). */
  whileRunLive?: boolean;
}): Promise<NodeContext<never>> {
  const { runtime, db, run, step, node, definition } = input;
  const [contact, steps] = input.known
    ? [input.known.contact, input.known.steps]
    : await Promise.all([contactOf(db, run), pathOutputs(db, run, step.parentStepId)]);
  const now = clockOf(runtime);
  const scope: StepScope = {
    runtime,
    db,
    runId: run.id,
    workspaceId: run.workspaceId,
    journeyId: run.journeyId,
    version: run.version,
    nodeId: node.id,
    contactId: run.contactId,
    contact,
    source: input.source,
    idempotencyKey: step.idempotencyKey ?? step.id,
    now,
    batch: input.batch,
    secrets: input.secrets,
    whileRunLive: input.whileRunLive,
  };
  const services = productionServices(scope, definition, input.onServiceUse);
  const { signal, secrets } = input;
  // Named one by one: spreading `input` and adding keys is a slow path on Node 20, 3 µs a step
  // (engine/README.md "Hot paths").
  return assembleNodeContext({ runtime, run, step, node, definition, signal, secrets, contact, steps, now, services });
}
