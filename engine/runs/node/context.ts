import { trace } from '@opentelemetry/api';
import {
  type AnyNodeDefinition,
  type Contact,
  type JsonObject,
  type JsonValue,
  type NodeContext,
  NodeError,
  type Resume,
  renderParams,
  UNSUBSCRIBE_URL_PLACEHOLDER,
} from '@waymark/sdk';
import type { Kysely } from 'kysely';
import { loadContact } from '../../contacts/load.js';
import { createContactsService } from '../../contacts/service.js';
import { createCredentialsService } from '../../credentials/service.js';
import type { Database } from '../../db/database.js';
import type { GraphNode } from '../../graph/types.js';
import { createHttpClient } from '../../http/client.js';
import { createLeadsService } from '../../leads/service.js';
import { createMessagesService } from '../../messages/service.js';
import type { StepLogFields } from '../../observability/step-log-fields.js';
import type { Runtime } from '../../runtime.js';
import type { StepBatchServices, StepScope } from '../../services/step-scope.js';
import { paramsHaveTemplates, paramsWithDefaults } from '../versions.js';
import { pathOutputs } from './path.js';

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

async function contactOf(db: Kysely<Database>, run: RunRow): Promise<Contact | null> {
  return run.contactId ? loadContact(db, run.workspaceId, run.contactId) : null;
}

/**
 * Told of each service call (service, method, arguments) before it reaches the database; may
 * return what to do with the call's result once it succeeds.
 */
export type ServiceUse = (
  service: keyof StepServices,
  method: string,
  args: readonly unknown[],
) => Promise<((result: unknown) => void) | undefined>;

/**
 * A service made on first use, so a node that never touches an unfinished service still runs.
 * With `onUse`, every call waits for it first (the services' methods all return promises).
 */
function lazy<T extends object>(
  make: () => T,
  onUse?: (method: string, args: readonly unknown[]) => Promise<((result: unknown) => void) | undefined>,
): T {
  let made: T | undefined;
  return new Proxy({} as T, {
    get(_target, property) {
      made ??= make();
      const value = Reflect.get(made, property);
      if (typeof value !== 'function') return value;
      if (!onUse) return value.bind(made);
      return async (...args: unknown[]) => {
        const done = await onUse(String(property), args);
        const result = await Reflect.apply(value, made, args);
        done?.(result);
        return result;
      };
    },
  });
}

/** The services a node reaches through `ctx`; production builds them from the step's scope. */
export interface StepServices {
  contacts: NodeContext<never>['contacts'];
  messages: NodeContext<never>['messages'];
  http: NodeContext<never>['http'];
  credentials: NodeContext<never>['credentials'];
  leads: NodeContext<never>['leads'];
}

/**
 * The services of a production step, acting on the database: each made when the node first
 * reaches for it (most nodes use one or none, and a step is made thousands of times a second;
 * a class, so that its getters are its prototype's, not five new closures a step).
 */
class ProductionServices implements StepServices {
  readonly #made: Partial<StepServices> = {};

  constructor(
    private readonly scope: () => StepScope,
    private readonly definition: AnyNodeDefinition,
    private readonly onUse: ServiceUse | undefined,
  ) {}

  #use(service: keyof StepServices) {
    const { onUse } = this;
    return onUse ? (method: string, args: readonly unknown[]) => onUse(service, method, args) : undefined;
  }

  get contacts() {
    this.#made.contacts ??= lazy(() => createContactsService(this.scope()), this.#use('contacts'));
    return this.#made.contacts;
  }

  get messages() {
    this.#made.messages ??= lazy(() => createMessagesService(this.scope()), this.#use('messages'));
    return this.#made.messages;
  }

  get http() {
    this.#made.http ??= lazy(() => createHttpClient(this.scope()), this.#use('http'));
    return this.#made.http;
  }

  get credentials() {
    this.#made.credentials ??= lazy(
      () => createCredentialsService(this.scope(), this.definition.credentials ?? []),
      this.#use('credentials'),
    );
    return this.#made.credentials;
  }

  get leads() {
    this.#made.leads ??= lazy(() => createLeadsService(this.scope()), this.#use('leads'));
    return this.#made.leads;
  }
}

/** The services of a production step (`ProductionServices`). */
export function productionServices(
  scope: () => StepScope,
  definition: AnyNodeDefinition,
  onUse?: ServiceUse,
): StepServices {
  return new ProductionServices(scope, definition, onUse);
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
export async function assembleNodeContext(input: {
  runtime: Runtime;
  run: RunRow;
  step: StepRef;
  node: GraphNode;
  definition: AnyNodeDefinition;
  /** The step's abort signal, made on first use (`invokeNode`). */
  signal: () => AbortSignal;
  contact: Contact | null;
  steps: Record<string, { output: JsonValue }>;
  now: () => Date;
  services: StepServices;
}): Promise<NodeContext<never>> {
  const { runtime, run, step, node, definition, contact, steps } = input;
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
    throw new NodeError(`a template in the params does not render: ${(error as Error).message}`, {
      cause: error,
      // liquidjs names its syntax errors ParseError / TokenizationError; the rest fail while rendering.
      code: /Parse|Tokeniz/.test((error as Error).name) ? 'template.parse' : 'template.render',
    });
  }
  // The step's span is the one active now; the fields are made only if the node logs.
  const span = trace.getActiveSpan();
  const { services } = input;
  let log: NodeContext<never>['log'] | undefined;
  const ctx = {
    params,
    node: { id: node.id, type: node.type, version: node.version },
    contact,
    trigger: run.trigger,
    steps,
    run: runInfo,
    idempotencyKey: step.idempotencyKey ?? step.id,
    attempt: step.attempts,
    resume: step.resume,
    get signal() {
      return input.signal();
    },
    // Made on first use: most nodes never log, and a child logger per step is not free.
    get log() {
      log ??= runtime.logger.child(stepLogFields(run, step, node, span));
      return log;
    },
    now: input.now,
    // Read through, so a service the node never reaches for is never made.
    get contacts() {
      return services.contacts;
    },
    get messages() {
      return services.messages;
    },
    get http() {
      return services.http;
    },
    get credentials() {
      return services.credentials;
    },
    get leads() {
      return services.leads;
    },
  };
  return ctx as unknown as NodeContext<never>;
}

/** What every line of `ctx.log` carries (API.md "Logs"): the step's ids and, traced, its span's. */
function stepLogFields(
  run: RunRow,
  step: StepRef,
  node: GraphNode,
  span: ReturnType<typeof trace.getActiveSpan>,
): StepLogFields {
  const traced = span?.isRecording() ? span.spanContext() : null;
  return {
    runId: run.id,
    stepId: step.id,
    journeyId: run.journeyId,
    version: run.version,
    nodeId: node.id,
    nodeType: node.type,
    ...(traced ? { traceId: traced.traceId, spanId: traced.spanId } : {}),
  };
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
  known?: KnownView;
  onServiceUse?: ServiceUse;
  /** Shared by the steps of a batch (`step/step-batch.ts`). */
  batch?: StepBatchServices;
  /** The source its contact writes name by default (`writeSourceOf`). */
  source: string;
}): Promise<NodeContext<never>> {
  const { runtime, db, run, step, node, definition } = input;
  const [contact, steps] = input.known
    ? [input.known.contact, input.known.steps]
    : await Promise.all([contactOf(db, run), pathOutputs(db, run, step.parentStepId)]);
  const now = () => runtime.clock.now();
  let scope: StepScope | undefined;
  const scoped = (): StepScope => {
    scope ??= {
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
      ...(input.batch ? { batch: input.batch } : {}),
    };
    return scope;
  };
  const services = productionServices(scoped, definition, input.onServiceUse);
  return assembleNodeContext({ ...input, contact, steps, now, services });
}
