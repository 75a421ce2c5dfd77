import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { type JsonObject, NotFoundError } from '@waymark/sdk';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { GraphNode } from '../graph/types.js';
import { type CompiledVersion, loadVersion } from './versions.js';

type FormatsPlugin = (ajv: Ajv) => Ajv;
// ajv-formats is CommonJS: under NodeNext its plugin arrives as the module's `default`.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  addFormatsModule) as FormatsPlugin;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));

/** A webhook trigger ready to take calls: its journey's live version and compiled schema. */
export interface WebhookTarget {
  journeyId: string;
  status: string;
  version: CompiledVersion;
  node: GraphNode;
  secret: string;
  validate: ValidateFunction | null;
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
      validate = ajv.compile(schema);
    } catch {
      validate = null; // publishing checks the schema; a broken one accepts every payload rather than none
    }
  }
  if (schemas.size > 5000) schemas.clear();
  schemas.set(key, validate);
  return validate;
}

/** The output a `core.webhook` trigger leaves by. */
export const WEBHOOK_OUTPUT = 'out';

const targets = new Map<string, WebhookTarget>();

/**
 * The webhook node `nodeId` of the journey's published version; NotFoundError for an unknown
 * or unpublished journey, an archived one, or a node that is not a `core.webhook` trigger.
 * Live targets come from memory (`cached`): the statement that starts the run checks that
 * the journey is still live on that version, and a caller about to refuse a call on a cached
 * target asks again with `fresh`, so no answer rests on a stale secret, status or schema.
 */
export async function webhookTarget(
  db: Kysely<Database>,
  journeyId: string,
  nodeId: string,
  options: { fresh?: boolean } = {},
): Promise<WebhookTarget> {
  const key = `${journeyId}\u0000${nodeId}`;
  const cached = options.fresh ? undefined : targets.get(key);
  if (cached) return { ...cached, cached: true };
  targets.delete(key);
  const journey = await db
    .selectFrom('journeys')
    .select(['status', 'published_version'])
    .where('id', '=', journeyId)
    .executeTakeFirst();
  if (!journey || journey.published_version === null || journey.status === 'archived' || journey.status === 'draft')
    throw new NotFoundError(`no published journey ${journeyId} with a webhook ${nodeId}`);
  const version = await loadVersion(db, journeyId, journey.published_version);
  const node = version?.nodes.get(nodeId);
  if (!version || !node || node.type !== 'core.webhook')
    throw new NotFoundError(`no published journey ${journeyId} with a webhook ${nodeId}`);
  const secret = typeof node.params?.secret === 'string' ? node.params.secret : '';
  const validate = compiledSchema(version, node);
  const target = { journeyId, status: journey.status, version, node, secret, validate, cached: false };
  if (target.status === 'live') {
    if (targets.size > 10_000) targets.clear();
    targets.set(key, target);
  }
  return target;
}

const digest = (value: string | Buffer) => createHash('sha256').update(value).digest();

/**
 * True when the call carries the node's secret, as `X-Waymark-Secret` or as
 * `X-Waymark-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`, compared in constant time.
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

/** The identity fields of a payload, for binding the run to a contact. */
export function identityOf(
  payload: JsonObject,
): { contactId?: string; email?: string; phone?: string; externalId?: string } | null {
  const identity: Record<string, string> = {};
  for (const key of ['contactId', 'email', 'phone', 'externalId'] as const) {
    const value = payload[key];
    if (typeof value === 'string' && value.trim()) identity[key] = value;
    else if (typeof value === 'number') identity[key] = String(value);
  }
  return Object.keys(identity).length ? identity : null;
}
