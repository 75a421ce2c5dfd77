import {
  addDuration,
  type ContactsService,
  evaluateFilter,
  NodeError,
  NotFoundError,
  parseDuration,
  refuseBadEventName,
  refuseBadName,
  refuseLongTtl,
  ValidationError,
} from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { inTransaction } from '../db/transaction.js';
import { countTriggerSteps, recordEvent } from '../events/record.js';
import { endedRunsAmong } from '../runs/end-runs.js';
import { mentionsClause } from '../sdk/src/filter/evaluate.js';
import { compileFilter } from '../segments/compile.js';
import type { StepScope } from '../services/step-scope.js';
import { loadSurvivingContact, survivorIdOf, survivorOf } from './merge/survivor.js';
import { addTag, addToList, removeFromList, removeTag } from './tags.js';
import { updateContact } from './update.js';

const FOREIGN_KEY_VIOLATION = '23503';

// A step acts for its own run's contact only (contract packages.md "Isolation and reach"): a
// node naming another contact of the workspace is refused as if there were none. An id merged
// into the run's contact, or the survivor of a run's contact merged away since, names it too
// (contract identity.md): the write lands on the survivor.
async function own(scope: StepScope, contactId: string): Promise<string> {
  if (contactId === scope.contactId) return contactId;
  const [named, mine] = await Promise.all([
    survivorOf(scope.db, scope.workspaceId, contactId),
    scope.contactId ? survivorOf(scope.db, scope.workspaceId, scope.contactId) : null,
  ]);
  if (!named || named.id !== mine?.id)
    throw new NotFoundError(`no contact ${contactId} for this step: ctx.contacts acts only for the run's own contact`);
  return named.id;
}

/**
 * Makes a contact write of the step. One whose run may have ended meanwhile (`whileRunLive`)
 * writes in a transaction under the run's lock, taken first as every writer of a run's rows
 * does (`endedRunsAmong`): a run that ended first lets nothing through (the step was cancelled
 * with it, so its error goes nowhere), one that ends meanwhile waits for the write's commit.
 * Not an event's (`recordEvent`): what it does to runs locks them in id order (`lockRuns`),
 * which its own run's lock taken first would break.
 */
function writing<T>(scope: StepScope, write: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (!scope.whileRunLive) return write(scope.db);
  return inTransaction(scope.db, async (trx) => {
    if ((await endedRunsAmong(trx, [scope.runId])).size > 0)
      throw new NodeError('its run ended: the contact is not written');
    return write(trx);
  });
}

async function mustLoad(scope: StepScope, contactId: string) {
  // A run's contact merged away since its run began is read as its survivor.
  const contact = await loadSurvivingContact(scope.db, scope.workspaceId, contactId);
  if (!contact) throw new NotFoundError(`no contact ${contactId}`);
  return contact;
}

/**
 * `ctx.contacts` for one step. (Contact store part.) Made for every step that reaches for it,
 * so its helpers live outside it and its methods are shorthand: tsx names each arrow assigned
 * in a call, a defineProperty each time.
 */
export function createContactsService(scope: StepScope): ContactsService {
  const { db } = scope;
  let events = 0;
  // Once the step has written its contact, the copy it started with is out of date.
  let wrote = false;
  return {
    async get(contactId) {
      // The run's contact merged away since reads as its survivor; erased, as null.
      return loadSurvivingContact(db, scope.workspaceId, await own(scope, contactId));
    },
    async update(contactId, patch) {
      const id = await own(scope, contactId);
      const { source = scope.source, ...fields } = patch;
      wrote = true;
      if (!(await writing(scope, (trx) => updateContact(trx, scope.workspaceId, id, fields, source))))
        throw new NotFoundError(`no contact ${contactId}`);
      return mustLoad(scope, id);
    },
    async addTag(contactId, tag, options) {
      refuseBadName('addTag', 'tag', tag);
      let ttlSeconds: number | undefined;
      if (options?.ttl) {
        if (parseDuration(options.ttl) === null)
          throw new ValidationError(`ttl "${options.ttl}" is not an ISO 8601 duration`, [
            { path: '/ttl', message: 'not a duration' },
          ]);
        refuseLongTtl(options.ttl);
        // The lifespan is calendar-aware from the step's now (a P1M tag lives a calendar month).
        const now = scope.now();
        ttlSeconds = (addDuration(now, options.ttl).getTime() - now.getTime()) / 1000;
      }
      const id = await own(scope, contactId);
      wrote = true;
      try {
        const add = { contactId: id, tag, ttlSeconds };
        return await (scope.batch && !scope.whileRunLive
          ? scope.batch.addTag(add)
          : writing(scope, (trx) => addTag(trx, id, tag, ttlSeconds)));
      } catch (error) {
        // contact_tags references contacts: an unknown contact is refused by the insert itself.
        if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION)
          throw new NotFoundError(`no contact ${contactId}`, { cause: error });
        throw error;
      }
    },
    async removeTag(contactId, tag) {
      refuseBadName('removeTag', 'tag', tag);
      wrote = true;
      const id = await own(scope, contactId);
      await writing(scope, (trx) => removeTag(trx, id, tag));
    },
    async addToList(contactId, list) {
      refuseBadName('addToList', 'list', list);
      wrote = true;
      const id = await own(scope, contactId);
      await writing(scope, (trx) => addToList(trx, id, list));
    },
    async removeFromList(contactId, list) {
      refuseBadName('removeFromList', 'list', list);
      wrote = true;
      const id = await own(scope, contactId);
      await writing(scope, (trx) => removeFromList(trx, id, list));
    },
    async recordEvent(contactId, name, properties) {
      refuseBadEventName('recordEvent', name);
      const id = await own(scope, contactId);
      // Keyed by the step, so a retried step stores its events once.
      events += 1;
      const idempotencyKey = `${scope.idempotencyKey}:event:${name}:${events}`;
      const recorded = await recordEvent(db, { contactId: id, name, properties, idempotencyKey });
      // Counted here, also for an inline step whose transaction commits a little later.
      countTriggerSteps(scope.runtime.metrics, recorded);
      return recorded.event;
    },
    async matches(named, filter, filterScope) {
      const now = scope.now();
      // The step's own contact is in memory already, as it was when the step began: only event
      // conditions, and a contact the step has written since, need the database.
      if (named && !wrote && scope.contact?.id === named && !mentionsClause(filter, ['event']))
        return evaluateFilter(filter, {
          contact: scope.contact,
          trigger: filterScope.trigger,
          steps: filterScope.steps,
          now,
        });
      const contactId = named ? await survivorIdOf(db, scope.workspaceId, await own(scope, named)) : null;
      if (contactId) {
        const { rows } = await sql<{ m: boolean }>`
          select ${compileFilter(filter, { now, scope: filterScope })} as m from contacts c
          where c.id = ${contactId} and c.workspace_id = ${scope.workspaceId}`.execute(db);
        if (rows[0]) return rows[0].m;
      }
      return evaluateFilter(filter, { contact: null, trigger: filterScope.trigger, steps: filterScope.steps, now });
    },
  };
}
