import { WaymarkError } from './errors.js';
import type { JsonObject, JsonValue } from './json.js';
import type { CredentialsService, HttpClient, Logger } from './services.js';

/**
 * Who a run a trigger starts is for, as a webhook payload names them (API.md "Webhook
 * triggers"): the contact holding these is found, or created when new; none of them: an
 * anonymous run.
 */
export interface TriggerContact {
  contactId?: string;
  email?: string;
  phone?: string;
  externalId?: string;
}

/** A request to a package's webhook trigger, `POST /hooks/<journeyId>/<nodeId>`. */
export interface TriggerRequest {
  method: string;
  /** Lower-cased names; a header sent several times is its values joined by `, `. */
  headers: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string>>;
  /** The body exactly as received, as UTF-8 text: what a signature is computed over. */
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: JsonValue | undefined;
}

/** One run a webhook trigger starts. */
export interface TriggerStart {
  /** The run's `trigger` (`{{ trigger.* }}` in templates). */
  payload: JsonObject;
  contact?: TriggerContact;
  /**
   * Within 24 hours a start with a key already started nothing again: give the provider's own
   * event id (Shopify's `X-Shopify-Webhook-Id`), so a redelivery starts no second run.
   */
  idempotencyKey?: string;
}

/** What a webhook trigger's `handle` answers. */
export interface WebhookTriggerResult {
  starts: TriggerStart[];
  /** The HTTP answer; default 202 `{ runIds }` (200 when no run started). */
  response?: { status?: number; body?: JsonValue };
}

/** What a trigger's functions are given: no contact, no run; the node's params and credentials. */
export interface TriggerContext<P = Record<string, unknown>> {
  params: P;
  /** Credentials of the types the node declares in `credentials`, as a step reads them. */
  credentials: CredentialsService;
  log: Logger;
  now(): Date;
}

/**
 * A trigger a provider calls. Its calls arrive at the journey's hook URL; `handle` checks them
 * (a signature with a credential: `refuse(401, …)` when it does not match) and says which
 * runs start.
 *
 * @example
 * webhook: {
 *   async handle(request, ctx) {
 *     const { secret } = await ctx.credentials.get<{ secret: string }>(ctx.params.shop);
 *     const hmac = createHmac('sha256', secret).update(request.body).digest('base64');
 *     if (request.headers['x-shopify-hmac-sha256'] !== hmac) refuse(401, 'the Shopify signature does not match');
 *     const order = request.json as { id: number; email: string };
 *     return {
 *       starts: [{ payload: { order }, contact: { email: order.email }, idempotencyKey: request.headers['x-shopify-webhook-id'] }],
 *     };
 *   },
 * },
 */
export interface WebhookTrigger<P = Record<string, unknown>> {
  handle(request: TriggerRequest, ctx: TriggerContext<P>): Promise<WebhookTriggerResult> | WebhookTriggerResult;
}

/** What a polling trigger's `run` is given: a trigger's context with `ctx.http` and what the last poll kept. */
export interface PollContext<P = Record<string, unknown>> extends TriggerContext<P> {
  /** Waymark's HTTP client, as a step's `ctx.http` (its address rule included). */
  http: HttpClient;
  /** The `state` the last poll returned; null at the first poll (and after the params changed). */
  state: JsonValue | null;
}

/** One new thing a poll found: a run starts for it unless its `key` was seen before. */
export interface PollItem {
  /** Unique within the journey's trigger: a run starts once per key, ever. */
  key: string;
  payload: JsonObject;
  contact?: TriggerContact;
}

/** What a poll answers. */
export interface PollResult {
  items: PollItem[];
  /** Kept and given to the next poll as `ctx.state` (omitted: the state stays as it was). */
  state?: JsonValue;
}

/**
 * A trigger the engine calls on a schedule, for a source that cannot call Waymark.
 *
 * @example
 * poll: {
 *   every: (params) => params.interval ?? 'PT5M',
 *   async run(ctx) {
 *     const res = await ctx.http.request({ method: 'GET', url: `https://sheets.example/${ctx.params.sheet}/rows` });
 *     const rows = res.body as { id: string; email: string }[];
 *     return { items: rows.map((row) => ({ key: row.id, payload: { row }, contact: { email: row.email } })) };
 *   },
 * },
 */
export interface PollTrigger<P = Record<string, unknown>> {
  /** How often to poll, an ISO 8601 duration; default `PT5M`, never more often than `PT1M`. */
  every?: string | ((params: P) => string);
  run(ctx: PollContext<P>): Promise<PollResult> | PollResult;
}

/** The error code of a trigger's refusal. */
export const TRIGGER_REFUSED = 'trigger.refused';

/**
 * A webhook trigger's refusal of a call: answered with `status` and the error envelope of
 * API.md (400 `validation_failed`, 401 `unauthorized`, 403 `forbidden`, 404 `not_found`, 409
 * `conflict`, 422 `schema_mismatch`, 429 `rate_limited`; another status is answered 400), and
 * no run starts.
 *
 * @example
 * if (!order.email) throw new TriggerRefusal(422, 'the order has no email address');
 */
export class TriggerRefusal extends WaymarkError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(TRIGGER_REFUSED, message);
  }
}

/**
 * Refuses a webhook trigger's call: `refuse(401, 'bad signature')` answers 401
 * `{ error: { code: 'unauthorized', message: 'bad signature' } }`.
 *
 * @example
 * if (!safeEqual(request.headers['x-acme-token'] ?? '', secret)) refuse(401, 'the Acme token does not match');
 */
export function refuse(status: number, message: string): never {
  throw new TriggerRefusal(status, message);
}
