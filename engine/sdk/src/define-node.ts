import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { NodeContext, RunResult } from './context.js';
import type { ErrorDetail } from './errors.js';
import type { JsonValue } from './json.js';
import type { PollTrigger, WebhookTrigger } from './triggers.js';

export type NodeKind = 'trigger' | 'action' | 'condition' | 'wait';

/** A JSON Schema object describing a node's params. `format: "template"` marks Liquid text. */
export type ParamsSchema = object;

/**
 * The params type a schema describes. The constraint stays `object` (not json-schema-to-ts's
 * deep `JSONSchema`) so that inferring a node's schema stays cheap for the compiler.
 */
export type ParamsOf<S> = S extends JSONSchema ? FromSchema<S> : Record<string, unknown>;

interface NodeDefinitionBase<S extends ParamsSchema> {
  /** `<package prefix>.<name>`, unique in the registry together with `version`. */
  type: string;
  /** Major version; graphs pin it. Bump it when params change incompatibly. */
  version: number;
  kind: NodeKind;
  title: string;
  description: string;
  category: string;
  icon?: string;
  /**
   * One line the canvas shows in the node's box, so a journey reads as what it does: a
   * Liquid template over the params (each param is a variable; `GET /api/nodes` serves the
   * template and the editor renders it, so no node code runs in the browser). Template params
   * show as written (`Thanks {{ firstName }}`). Beyond Liquid's own filters the editor knows
   * `duration` (`P3D` → `3 days`) and `filter` (a filter of NODES.md in words: `plan is pro and
   * tag vip`). Long text is elided on the canvas with the whole line on hover. Without one the
   * box shows the node's id.
   *
   * @example
   * summary: '{{ subject }} — from {{ from }}',
   * summary: 'Wait {{ timeout | duration }} for {{ event }}',
   * summary: '{% for v in variants %}{{ v.key | upcase }} {{ v.weight }} %{% unless forloop.last %} · {% endunless %}{% endfor %}',
   */
  summary?: string;
  /** JSON Schema of the params: validates them and draws the editor's form. */
  params: S;
  /** Credential types the node may read through `ctx.credentials`. */
  credentials?: readonly string[];
  /**
   * True when `run` does no I/O but through `ctx.contacts` (conditions, splits, tag writes):
   * the engine may run it inline, in the transaction of the step before it.
   */
  inline?: boolean;
  /**
   * A trigger's output: the one its runs leave the trigger by. Default: its first output.
   *
   * @example
   * triggerOutput: 'out',
   */
  triggerOutput?: string;
  /**
   * True when reaching this node ends the run: its other tokens are cancelled and the
   * output's `goal` (else the `goal` param) becomes the run's outcome (`core.exit`).
   */
  endsRun?: boolean;
  /**
   * True when the node sends messages through `ctx.messages` (`email.send`, `sms.send`): the
   * journey's analytics list its message figures, zeros included, before its first send.
   *
   * @example
   * sendsMessages: true,
   */
  sendsMessages?: boolean;
  /**
   * What a test run takes instead of calling `run` when the node reaches outside Waymark
   * (`http.request`): it leaves by `next` with `output`, unless the test run is live.
   *
   * @example
   * skippedInTestRuns: { next: 'ok', output: { skipped: true } },
   */
  skippedInTestRuns?: { next: string; output?: JsonValue };
  /**
   * False when `run` never reads `ctx.contact` (an exit); a function of the params when that
   * depends on them (a wait reads the contact's time zone only for `until` in `contact` time).
   * A step that reads no contact, and whose params' templates do not read `contact`
   * (`templateReads`), starts without loading it — as do the inline nodes after it — and sees
   * `ctx.contact` null. Default: true.
   *
   * @example
   * readsContact: false,
   * readsContact: (params) => params.until?.timezone === 'contact',
   */
  readsContact?: boolean | ((params: ParamsOf<S>) => boolean);
  /**
   * False when `run` never reads `ctx.steps` (a wait, an exit): a step that reads no steps,
   * and whose params' templates do not read `steps`, starts without reading its token's path
   * — as do the inline nodes after it — and sees `ctx.steps` empty. Default: true.
   *
   * @example
   * readsSteps: false,
   */
  readsSteps?: boolean | ((params: ParamsOf<S>) => boolean);
  /**
   * Tokens of one batch (up to 100 of this node) that run it at once. Default: all of them for
   * an `inline` node, else 32. Raise it for a node whose I/O goes through services that group
   * the calls of the tokens running together (`ctx.messages.send`: one statement for the
   * group's contacts, rules and message rows); keep it low for a node calling an API that
   * limits concurrent requests.
   *
   * @example
   * concurrency: 100,
   */
  concurrency?: number;
  /** Time limit of one attempt in milliseconds; default 30 000. Timeouts are retried. */
  timeoutMs?: number;
  /** Attempts in all before a retryable error fails the step; default 5. The default for `settings.retry.attempts`. */
  maxAttempts?: number;
  /**
   * Optional checks that JSON Schema cannot express (weights that sum to 100, a cron
   * expression that parses). Called when a graph is validated, only after the params
   * passed the schema; each problem's `path` is a JSON pointer into the params. Return
   * an empty list when all is well. Must be synchronous and free of I/O.
   *
   * @example
   * validate: (params) =>
   *   params.variants.reduce((sum, v) => sum + v.weight, 0) === 100
   *     ? []
   *     : [{ path: '/variants', message: 'the weights must sum to 100' }],
   */
  validate?(params: ParamsOf<S>): ErrorDetail[];
  /**
   * A trigger's calls from outside: its journey's hook URL, `POST /hooks/<journeyId>/<nodeId>`,
   * reaches `handle`, which authenticates the call and says which runs start (README "Triggers").
   *
   * @example
   * webhook: {
   *   async handle(request, ctx) {
   *     const { secret } = await ctx.credentials.get<{ secret: string }>(ctx.params.account);
   *     if (request.headers['x-acme-token'] !== secret) refuse(401, 'the Acme token does not match');
   *     const order = request.json as { id: string; email: string };
   *     return { starts: [{ payload: { order }, contact: { email: order.email }, idempotencyKey: order.id }] };
   *   },
   * },
   */
  webhook?: WebhookTrigger<ParamsOf<S>>;
  /**
   * A trigger the engine polls for each live journey using it, when due (`every`, default
   * `PT5M`): one run starts per item whose `key` the journey's node has not seen (README "Triggers").
   *
   * @example
   * poll: {
   *   every: 'PT10M',
   *   async run(ctx) {
   *     const res = await ctx.http.request({ method: 'GET', url: `https://api.acme.example/orders?after=${ctx.state ?? ''}` });
   *     const orders = res.body as { id: string; email: string }[];
   *     return { items: orders.map((o) => ({ key: o.id, payload: { order: o }, contact: { email: o.email } })), state: orders.at(-1)?.id ?? ctx.state };
   *   },
   * },
   */
  poll?: PollTrigger<ParamsOf<S>>;
}

/** A node whose outputs are fixed: `next` must name one of them. */
export interface StaticNodeDefinition<S extends ParamsSchema, O extends string> extends NodeDefinitionBase<S> {
  outputs: readonly O[];
  run(ctx: NodeContext<ParamsOf<S>>): Promise<RunResult<NoInfer<O>>>;
}

/** A node whose outputs depend on its params (an A/B split's variants). */
export interface DynamicNodeDefinition<S extends ParamsSchema> extends NodeDefinitionBase<S> {
  outputs: (params: ParamsOf<S>) => string[];
  run(ctx: NodeContext<ParamsOf<S>>): Promise<RunResult<string>>;
}

export type NodeDefinition<S extends ParamsSchema, O extends string> =
  | StaticNodeDefinition<S, O>
  | DynamicNodeDefinition<S>;

/**
 * The registry's view of any node, whatever its params: what the engine stores and runs.
 * Params are checked against `params` with ajv before `run` sees them.
 */
export interface AnyNodeDefinition
  extends Omit<NodeDefinitionBase<ParamsSchema>, 'validate' | 'readsContact' | 'readsSteps' | 'webhook' | 'poll'> {
  webhook?: WebhookTrigger<never>;
  poll?: PollTrigger<never>;
  outputs: readonly string[] | ((params: never) => string[]);
  validate?: (params: never) => ErrorDetail[];
  readsContact?: boolean | ((params: never) => boolean);
  readsSteps?: boolean | ((params: never) => boolean);
  run(ctx: NodeContext<never>): Promise<RunResult<string>>;
}

/**
 * Declares a node type. `ctx.params` gets its type from the `params` schema and `next` may
 * only name a declared output, so a misspelt output is a type error.
 *
 * @example
 * const shout = defineNode({
 *   type: 'acme.shout', version: 1, kind: 'action', title: 'Shout',
 *   description: 'Upper-cases a text.', category: 'Acme',
 *   params: { type: 'object', properties: { text: { type: 'string', format: 'template' } },
 *             required: ['text'], additionalProperties: false },
 *   outputs: ['out'],
 *   async run(ctx) {
 *     return { next: 'out', output: { shouted: ctx.params.text.toUpperCase() } };
 *   },
 * });
 */
export function defineNode<const S extends ParamsSchema, const O extends string>(
  definition: StaticNodeDefinition<S, O>,
): AnyNodeDefinition;
export function defineNode<const S extends ParamsSchema>(definition: DynamicNodeDefinition<S>): AnyNodeDefinition;
export function defineNode(definition: object): AnyNodeDefinition {
  return definition as unknown as AnyNodeDefinition;
}

/** The problems a node's own `validate` hook finds in params it already checked against its schema. */
export function paramsProblems(node: AnyNodeDefinition, params: unknown): ErrorDetail[] {
  return node.validate ? (node.validate as (p: unknown) => ErrorDetail[])(params) : [];
}

/** The outputs a node type declares for given params (without the engine's `error`). */
export function declaredOutputsOf(node: AnyNodeDefinition, params: unknown): readonly string[] {
  return typeof node.outputs === 'function' ? (node.outputs as (p: unknown) => string[])(params) : node.outputs;
}

/** Whether the engine gives the node an `error` output: every action node but one that ends the run. */
export function hasErrorOutput(node: AnyNodeDefinition): boolean {
  return node.kind === 'action' && node.endsRun !== true;
}

/**
 * The outputs of a node for given params: those its type declares, then `error` for action
 * nodes (the engine adds it; `settings.onError` decides when it is taken).
 *
 * @example
 * outputsOf(httpRequest, params) // ['ok', 'error']
 */
export function outputsOf(node: AnyNodeDefinition, params: unknown): readonly string[] {
  const declared = declaredOutputsOf(node, params);
  return hasErrorOutput(node) && !declared.includes('error') ? [...declared, 'error'] : declared;
}

/** The output a trigger's runs leave it by: its `triggerOutput`, else its first output. */
export function triggerOutputOf(node: AnyNodeDefinition, params: unknown): string {
  return node.triggerOutput ?? declaredOutputsOf(node, params)[0] ?? 'out';
}
