import { ConflictError, type JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { bindContact } from '../contacts/bind.js';
import type { Database } from '../db/database.js';
import { startRun } from './start.js';
import { identityOf, type WebhookTarget } from './webhook.js';

/** What a webhook call is answered with. */
export interface WebhookAnswer {
  statusCode: 200 | 202;
  body: { runId: string | null; skipped?: 'reentry' };
}

// A repeat of a key whose first call is still in its transaction waits this long, then gets 409.
const KEY_LOCK_TIMEOUT = '3s';

/**
 * Starts the run a webhook call asks for, in one transaction with its contact binding and
 * its `Idempotency-Key`: a repeat within 24 h returns the first answer and starts nothing.
 * Returns only after the commit.
 */
export async function acceptWebhook(
  db: Kysely<Database>,
  target: WebhookTarget,
  payload: JsonObject,
  idempotencyKey: string | null,
): Promise<WebhookAnswer> {
  try {
    return await db.transaction().execute(async (trx) => {
      if (idempotencyKey !== null) {
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
          return { statusCode: first.status_code as 200 | 202, body: first.response as WebhookAnswer['body'] };
        }
      }
      const identity = identityOf(payload);
      const contactId = identity ? await bindContact(trx, identity) : null;
      const started = await startRun(trx, {
        journeyId: target.journeyId,
        version: target.version.version,
        triggerNodeId: target.node.id,
        contactId,
        trigger: payload,
      });
      const answer: WebhookAnswer = started
        ? { statusCode: 202, body: { runId: started.runId } }
        : { statusCode: 200, body: { runId: null, skipped: 'reentry' } };
      if (idempotencyKey !== null) {
        await trx
          .updateTable('webhook_keys')
          .set({ status_code: answer.statusCode, response: JSON.stringify(answer.body) })
          .where('journey_id', '=', target.journeyId)
          .where('node_id', '=', target.node.id)
          .where('key', '=', idempotencyKey)
          .execute();
      }
      return answer;
    });
  } catch (error) {
    if ((error as { code?: string }).code === '55P03')
      throw new ConflictError('a call with this Idempotency-Key is in progress; retry', { cause: error });
    throw error;
  }
}
