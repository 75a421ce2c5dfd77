import { ConflictError, type JsonObject, WaymarkError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { bindContact, normalizeIdentity } from '../contacts/bind.js';
import type { Database } from '../db/database.js';
import type { Dispatch, JobDispatcher } from './dispatch.js';
import { insertRuns } from './insert-runs.js';
import { identityOf, WEBHOOK_OUTPUT, type WebhookTarget } from './webhook.js';

/** What a webhook call is answered with. */
export interface WebhookAnswer {
  statusCode: 200 | 202;
  body: { runId: string | null; skipped?: 'reentry' };
  /** The first answer to an earlier call with the same key: this call started nothing. */
  replayed?: true;
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

// A repeat of a key whose first call is still in its transaction waits this long, then gets 409.
const KEY_LOCK_TIMEOUT = '3s';

/**
 * Starts the run a webhook call asks for, with its contact binding and its
 * `Idempotency-Key` (a repeat within 24 h returns the first answer and starts nothing).
 * Returns once the run is committed; its first jobs follow through `dispatcher`. Without a
 * key, a known or new contact costs one statement.
 */
export async function acceptWebhook(
  db: Kysely<Database>,
  dispatcher: JobDispatcher,
  target: WebhookTarget,
  payload: JsonObject,
  idempotencyKey: string | null,
): Promise<WebhookAnswer> {
  const { answer, dispatch } =
    idempotencyKey === null
      ? await startFromWebhook(db, target, payload)
      : await keyed(db, target, payload, idempotencyKey);
  // Committed: the dispatcher queues the jobs (a crash before it does leaves them to the sweeper).
  dispatcher.add(dispatch);
  return answer;
}

interface Started {
  answer: WebhookAnswer;
  dispatch: Dispatch;
}

const NOTHING: Dispatch = { stepIds: [], notices: [] };

async function keyed(
  db: Kysely<Database>,
  target: WebhookTarget,
  payload: JsonObject,
  idempotencyKey: string,
): Promise<Started> {
  try {
    return await db.transaction().execute(async (trx) => {
      await sql`set local lock_timeout = ${sql.lit(KEY_LOCK_TIMEOUT)}`.execute(trx);
      const claimed = await sql<{ key: string }>`
        insert into webhook_keys (journey_id, node_id, key) values (${target.journeyId}, ${target.node.id}, ${idempotencyKey})
        on conflict (journey_id, node_id, key) do update set created_at = now(), status_code = null, response = null
          where webhook_keys.created_at < now() - interval '24 hours'
        returning key
      `.execute(trx);
      if (claimed.rows.length === 0) {
        const first = await trx
          .selectFrom('webhook_keys')
          .select(['status_code', 'response'])
          .where('journey_id', '=', target.journeyId)
          .where('node_id', '=', target.node.id)
          .where('key', '=', idempotencyKey)
          .executeTakeFirst();
        if (!first?.status_code) throw new ConflictError('a call with this Idempotency-Key is in progress; retry');
        const answer: WebhookAnswer = {
          statusCode: first.status_code as 200 | 202,
          body: first.response as WebhookAnswer['body'],
          replayed: true,
        };
        return { answer, dispatch: NOTHING };
      }
      const started = await startFromWebhook(trx, target, payload);
      const { answer } = started;
      await trx
        .updateTable('webhook_keys')
        .set({ status_code: answer.statusCode, response: JSON.stringify(answer.body) })
        .where('journey_id', '=', target.journeyId)
        .where('node_id', '=', target.node.id)
        .where('key', '=', idempotencyKey)
        .execute();
      return started;
    });
  } catch (error) {
    if ((error as { code?: string }).code === '55P03')
      throw new ConflictError('a call with this Idempotency-Key is in progress; retry', { cause: error });
    throw error;
  }
}

/** The run, bound to the payload's contact: found in the same statement, or created first when new. */
async function startFromWebhook(db: Kysely<Database>, target: WebhookTarget, payload: JsonObject): Promise<Started> {
  const raw = identityOf(payload);
  const identity = raw ? normalizeIdentity(raw) : null;
  const base = {
    version: target.version,
    triggerNodeId: target.node.id,
    output: WEBHOOK_OUTPUT,
    trigger: payload,
    onlyIfLive: true,
    dispatch: true,
  };
  let started = await insertRuns(db, { ...base, contacts: identity ? { identity } : { ids: [null] } });
  if (started.live && !started.bound && raw) {
    started = await insertRuns(db, { ...base, contacts: { ids: [await bindContact(db, raw)] } });
  }
  if (!started.live) throw new StaleWebhookTargetError();
  const runId = started.runIds[0];
  const answer: WebhookAnswer = runId
    ? { statusCode: 202, body: { runId } }
    : { statusCode: 200, body: { runId: null, skipped: 'reentry' } };
  return { answer, dispatch: started.dispatch };
}
