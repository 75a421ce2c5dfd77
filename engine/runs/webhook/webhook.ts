import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { type AnyNodeDefinition, type JsonObject, NotFoundError, WaymarkError } from '@waymark/sdk';
import type { ValidateFunction } from 'ajv';
import type { Kysely } from 'kysely';
import type { ContactIdentity } from '../../contacts/identity/bind.js';
import type { Database } from '../../db/database.js';
import { compilePayloadSchema } from '../../graph/payload-schema.js';
import type { GraphNode } from '../../graph/types.js';
import type { NodeRegistry } from '../../registry/registry.js';
import { type CompiledVersion, loadVersion } from '../versions.js';

/** A webhook trigger ready to take calls: its journey's live version and compiled schema. */
export interface WebhookTarget {
  /** The journey's workspace: the call's contact is found or created there. */
  workspaceId: string;
  journeyId: string;
  status: string;
  version: CompiledVersion;
  node: GraphNode;
  secret: string;
  validate: ValidateFunction | null;
  /**
   * A package's webhook trigger (a node whose definition has `webhook`): its definition, whose
   * `handle` authenticates and answers calls. Null for `core.webhook`, checked by its secret.
   */
  trigger: AnyNodeDefinition | null;
  /** Served from memory: the journey may have changed since (see `webhookTarget`). */
  cached: boolean;
}

const schemas = new Map<string, ValidateFunction | null>();

function compiledSchema(version: CompiledVersion, node: GraphNode): ValidateFunction | null {
  const key = `${version.journeyId}:${version.version}:${node.id}`;
  if (schemas.has(key)) return schemas.get(key) ?? null;
  const schema = node.params?.schema;
  let validate: ValidateFunction | null = null;
  if (schema && typeof schema === 'object') {
    try {
      validate = compilePayloadSchema(schema);
    } catch {
      // Publishing refuses such a schema; a version published before it did keeps taking every payload.
      validate = null;
    }
  }
  if (schemas.size > 5000) schemas.clear();
  schemas.set(key, validate);
  return validate;
}

/**
 * The journey was paused, archived or republished since its target was read: read it again.
 * (Never reaches a client: the route retries with a fresh target.)
 */
export class StaleWebhookTargetError extends WaymarkError {
  constructor() {
    super('stale_webhook_target', 'the journey changed while the call was being accepted');
  }
}

const targets = new Map<string, WebhookTarget>();

/** The built-in webhook trigger: calls to its hook are checked by its `secret` param. */
export const WEBHOOK_TRIGGER = 'core.webhook';

/**
 * Whether calls to `POST /hooks/<journeyId>/<nodeId>` start runs of a node so defined:
 * `core.webhook`, or a trigger whose definition declares a `webhook` handler.
 */
export function takesHookCalls(definition: AnyNodeDefinition): boolean {
  return definition.kind === 'trigger' && (definition.type === WEBHOOK_TRIGGER || definition.webhook !== undefined);
}

/**
 * The webhook node `nodeId` of the journey's published version; NotFoundError for an unknown
 * or unpublished journey, an archived one, or a node that is neither a `core.webhook` trigger
 * nor a trigger whose definition (in `registry`, as the version pins its packages) declares
 * `webhook`.
 * Live targets come from memory (`cached`): the statement that starts the run checks that
 * the journey is still live on that version, and a caller about to refuse a call on a cached
 * target asks again with `fresh`, so no answer rests on a stale secret, status or schema.
 */
export async function webhookTarget(
  db: Kysely<Database>,
  journeyId: string,
  nodeId: string,
  options: { fresh?: boolean; registry?: NodeRegistry } = {},
): Promise<WebhookTarget> {
  // A UUID in any case names the journey: the target carries its id as stored (metrics, runs).
  const key = `${journeyId.toLowerCase()}\u0000${nodeId}`;
  const cached = options.fresh ? undefined : targets.get(key);
  if (cached) return { ...cached, cached: true };
  targets.delete(key);
  const journey = await db
    .selectFrom('journeys')
    .select(['id', 'status', 'published_version', 'workspace_id'])
    .where('id', '=', journeyId)
    .executeTakeFirst();
  if (!journey || journey.published_version === null || journey.status === 'archived' || journey.status === 'draft')
    throw new NotFoundError(`no published journey ${journeyId} with a webhook ${nodeId}`);
  const version = await loadVersion(db, journey.id, journey.published_version);
  const node = version?.nodes.get(nodeId);
  const definition =
    node && version ? options.registry?.get(node.type, node.version, version.packages)?.definition : null;
  const trigger = definition?.kind === 'trigger' && definition.webhook ? definition : null;
  if (!version || !node || (node.type !== WEBHOOK_TRIGGER && !trigger))
    throw new NotFoundError(`no published journey ${journeyId} with a webhook ${nodeId}`);
  const secret = typeof node.params?.secret === 'string' ? node.params.secret : '';
  const validate = compiledSchema(version, node);
  const target = {
    journeyId: journey.id,
    workspaceId: journey.workspace_id,
    status: journey.status,
    version,
    node,
    secret,
    validate,
    trigger,
    cached: false,
  };
  if (target.status === 'live') {
    if (targets.size > 10_000) targets.clear();
    targets.set(key, target);
  }
  return target;
}

const digest = (value: string | Buffer) => createHash('sha256').update(value).digest();

/** How far a Standard Webhooks `webhook-timestamp` may be from the server's clock. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/** The credentials a webhook call may carry (header values; absent when not sent). */
export interface WebhookCredentials {
  /** `X-Waymark-Secret` */
  secret?: string;
  /** `X-Waymark-Signature: sha256=<hex>` */
  signature?: string;
  /** Standard Webhooks `webhook-id`, `webhook-timestamp`, `webhook-signature` */
  webhookId?: string;
  webhookTimestamp?: string;
  webhookSignature?: string;
}

/** Why a call was refused, or `ok`. */
export type WebhookVerdict = 'ok' | 'invalid' | 'stale';

/**
 * The Standard Webhooks (standardwebhooks.com) signing key of a node's secret: the base64
 * after `whsec_` when it has that prefix, else the secret's UTF-8 bytes.
 */
export function standardWebhookKey(secret: string): Buffer {
  return secret.startsWith('whsec_')
    ? Buffer.from(secret.slice('whsec_'.length), 'base64')
    : Buffer.from(secret, 'utf8');
}

/**
 * Verifies a Standard Webhooks signature over the raw body, to the letter of the spec (the
 * `standardwebhooks` package decodes the body as UTF-8 and reads a plain secret as base64, so
 * it is not used here): `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256(key,
 * "<id>.<timestamp>.<body>")>` entries, any one of which may match; the timestamp (Unix
 * seconds) must be within WEBHOOK_TOLERANCE_SECONDS of `nowMs`.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: Pick<WebhookCredentials, 'webhookId' | 'webhookTimestamp' | 'webhookSignature'>,
  rawBody: Buffer,
  nowMs = Date.now(),
): WebhookVerdict {
  const { webhookId: id, webhookTimestamp: timestamp, webhookSignature: signatures } = headers;
  if (!secret || !id || !timestamp || !signatures || !/^\d{1,15}$/.test(timestamp.trim())) return 'invalid';
  const key = standardWebhookKey(secret);
  if (key.length === 0) return 'invalid';
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp.trim())) > WEBHOOK_TOLERANCE_SECONDS) return 'stale';
  const expected = createHmac('sha256', key).update(`${id}.${timestamp.trim()}.`).update(rawBody).digest();
  let matched = false;
  for (const entry of signatures.trim().split(/\s+/)) {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) continue;
    const given = Buffer.from(value, 'base64');
    // Every entry is compared (no early exit), each in constant time.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched ? 'ok' : 'invalid';
}

/**
 * Whether the call carries the node's secret. The first scheme the call has headers for
 * decides: a Standard Webhooks signature (`webhook-signature`), else `X-Waymark-Secret`, else
 * `X-Waymark-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`; every comparison is
 * constant-time. `stale`: a Standard Webhooks timestamp too far from the server's clock.
 */
export function webhookVerdict(
  secret: string,
  headers: WebhookCredentials,
  rawBody: Buffer,
  nowMs = Date.now(),
): WebhookVerdict {
  if (!secret) return 'invalid';
  if (typeof headers.webhookSignature === 'string') return verifyStandardWebhook(secret, headers, rawBody, nowMs);
  return authenticWebhook(secret, headers, rawBody) ? 'ok' : 'invalid';
}

/**
 * True when the call carries the node's secret, as `X-Waymark-Secret` or as
 * `X-Waymark-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`, compared in constant time.
 * (`webhookVerdict` also takes Standard Webhooks signatures.)
 */
export function authenticWebhook(
  secret: string,
  headers: { secret?: string; signature?: string },
  rawBody: Buffer,
): boolean {
  if (!secret) return false;
  if (typeof headers.secret === 'string') {
    // Comparing digests keeps the time independent of where (and whether) the lengths differ.
    return timingSafeEqual(digest(headers.secret), digest(secret));
  }
  const match =
    typeof headers.signature === 'string' ? /^sha256=([0-9a-f]{64})$/i.exec(headers.signature.trim()) : null;
  if (!match?.[1]) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(match[1].toLowerCase(), 'hex'), expected);
}

/**
 * The identity fields of a payload, for binding the run to a contact, with its `timezone` (to
 * store on that contact; null clears it, as in `POST /api/contacts`): each read alike, text or
 * a number, anything else ignored.
 */
export function identityOf(payload: JsonObject): ContactIdentity | null {
  const identity: ContactIdentity = {};
  for (const key of ['contactId', 'email', 'phone', 'externalId', 'timezone'] as const) {
    const value = payload[key];
    if (typeof value === 'string' && value.trim()) identity[key] = value;
    else if (typeof value === 'number') identity[key] = String(value);
  }
  if (payload.timezone === null) identity.timezone = null;
  // A time zone alone names no one: the run is anonymous and the payload's timezone mere data.
  return Object.keys(identity).some((key) => key !== 'timezone') ? identity : null;
}
