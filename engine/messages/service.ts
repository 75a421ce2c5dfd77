import { randomUUID } from 'node:crypto';
import { type MessagesService, NodeError, type PreparedMessage, type SendRequest, type SendResult } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import { isUuid, loadSendingContact } from '../contacts/load.js';
import { contactExists, lockContact } from '../contacts/lock.js';
import { resolveTemplate } from '../content/send.js';
import type { Database } from '../db/database.js';
import type { StoredLink } from '../db/tables/messages.js';
import { inTransaction } from '../db/transaction.js';
import { inHoldout } from '../experiments/holdout.js';
import { bounceAddress, replyAddress } from '../inbound/addresses.js';
import { journeySendRate, type RateLimit, takeRateSlots } from '../sending/send-rate.js';
import { type SendingCredential, sendingCredential } from '../sending/senders.js';
import type { StepScope } from '../services/step-scope.js';
import { loadContactRules } from './contact-rules.js';
import { type Decision, decide } from './decide.js';
import { deliver, deliverLocked, handOver, mailDomain, markColumns, outcomeOf } from './deliver.js';
import { prepareEmail } from './prepare-email.js';

interface ExistingRow {
  id: string;
  status: SendResult['status'];
  reason: string | null;
  delayed_until: Date | null;
}

function resultOf(row: ExistingRow): SendResult {
  return {
    messageId: row.id,
    status: row.status,
    ...(row.reason ? { reason: row.reason as SendResult['reason'] } : {}),
    ...(row.status === 'delayed' && row.delayed_until ? { until: new Date(row.delayed_until) } : {}),
  };
}

/**
 * The message as it will be delivered: tracked links, pixel and unsubscribe for email.
 * Test runs show exactly this rendering without storing or sending it.
 */
export function prepareMessage(scope: StepScope, id: string, request: SendRequest, to: string) {
  const { config, keys } = scope.runtime;
  const base = {
    messageId: id,
    channel: request.channel,
    category: request.category,
    to,
    from: request.from ?? `Waymark <waymark@${mailDomain(config.publicUrl)}>`,
    subject: request.subject,
  };
  if (request.channel !== 'email') {
    const message: PreparedMessage = {
      ...base,
      html: request.html,
      text: request.text,
      headers: { ...request.headers },
    };
    return { message, links: [] as StoredLink[] };
  }
  const email = prepareEmail({
    messageId: id,
    html: request.html,
    text: request.text,
    marketing: request.category === 'marketing',
    publicUrl: config.publicUrl,
    keys,
  });
  // With an inbound domain, replies come back by a token naming the message (only for mail to
  // the contact's own address: a lead's owner answering is no reply of the contact), and so do
  // delivery reports, to the envelope sender.
  const domain = config.inboundEmailDomain;
  const replyTo = request.replyTo ?? (domain && request.to === undefined ? replyAddress(keys, id, domain) : undefined);
  const message: PreparedMessage = {
    ...base,
    ...(replyTo ? { replyTo } : {}),
    ...(domain ? { envelopeFrom: bounceAddress(keys, id, domain) } : {}),
    html: email.html,
    text: email.text,
    headers: { ...request.headers, ...email.headers },
  };
  const specs = new Map((request.links ?? []).map((l) => [l.key, l]));
  const links = email.links.map((link) => {
    const spec = link.key === null ? undefined : specs.get(link.key);
    return spec ? { ...link, addTags: spec.addTags ?? [], addLists: spec.addLists ?? [] } : link;
  });
  return { message, links };
}

/**
 * `ctx.messages`: the one gate every channel sends through. Idempotent per step: the message
 * row is keyed by the step's idempotency key and checked before anything is sent. Contact
 * rules are decided under a per-contact advisory lock, so a frequency cap holds when sends
 * race. Email gets tracked links, an open pixel and (marketing) unsubscribe headers, and goes
 * through `deliver`, else `SMTP_URL`, else the outbox. (Channels part.)
 */
export function createMessagesService(scope: StepScope): MessagesService {
  const { db } = scope;
  return {
    async send(asked) {
      const now = scope.now();
      const existing = await db
        .selectFrom('messages')
        .select(['id', 'status', 'reason', 'delayed_until'])
        .where('idempotency_key', '=', scope.idempotencyKey)
        .executeTakeFirst();
      const found = existing as ExistingRow | undefined;
      if (found && (found.status === 'sent' || found.status === 'suppressed')) return resultOf(found);
      if (found?.status === 'delayed' && found.delayed_until && new Date(found.delayed_until) > now)
        return resultOf(found);
      // Read and decrypted once, for the rates and the delivery, and only if either needs it.
      let reading: Promise<SendingCredential> | null = null;
      const credential = () => {
        if (!asked.credential) return null;
        reading ??= sendingCredential(scope, asked.credential, asked.channel);
        return reading;
      };
      // A message held for a rate asks the rates first, before deciding it again: a wake-up
      // beaten to its place costs one short transaction, and one that may go is handed over as
      // close to its time as it can be (late hand-overs would push back every later one).
      const heldForRate = found?.status === 'queued' && found.delayed_until !== null;
      if (heldForRate) {
        const gate = await takeRateSlots(db, await rateLimitsOf(scope, asked, credential()), found.id);
        if (!gate.go) return holdForRate(db, found.id, gate.until);
      }

      const contact = scope.contactId ? await loadSendingContact(db, scope.workspaceId, scope.contactId) : null;
      const to =
        asked.to ?? (asked.channel === 'email' ? contact?.email : asked.channel === 'sms' ? contact?.phone : null);
      if (!to)
        throw new NodeError(`no ${asked.channel} address to send to`, {
          code:
            asked.channel === 'email' ? 'email.no-address' : asked.channel === 'sms' ? 'sms.no-phone' : 'node.failed',
        });
      const rules = await loadContactRules(db, scope.workspaceId);
      const id = found?.id ?? randomUUID();
      const { config, keys } = scope.runtime;
      const request = await resolveTemplate(db, scope.workspaceId, { keys, publicUrl: config.publicUrl }, id, asked);
      const { message, links } = prepareMessage(scope, id, request, to);
      // With no rate to ask, a message to a contact is decided and delivered in one transaction,
      // under the contact's lock throughout (what `deliverLocked` does in a second one).
      const limits = heldForRate || !contact ? null : await rateLimitsOf(scope, request, credential());
      const atOnce = limits !== null && limits.length === 0;

      const { decision, delivery } = await inTransaction(db, async (trx) => {
        if (contact) {
          await lockContact(trx, contact.id);
          // An erase that took the lock first leaves nothing to send to, and nothing may be stored.
          if (!(await contactExists(trx, scope.workspaceId, contact.id))) throw new NodeError('the contact was erased');
        }
        // A token that took a split's control output is a holdout: its message is stored, not sent.
        const decided: Decision = (await inHoldout(trx, scope.idempotencyKey))
          ? { status: 'suppressed', reason: 'holdout' }
          : await decide(trx, {
              workspaceId: scope.workspaceId,
              request,
              to,
              contact,
              rules,
              now,
              messageId: found?.id ?? null,
            });
        const row = {
          id,
          workspace_id: scope.workspaceId,
          idempotency_key: scope.idempotencyKey,
          run_id: scope.runId,
          journey_id: scope.journeyId,
          node_id: scope.nodeId,
          contact_id: contact?.id ?? null,
          channel: request.channel,
          category: request.category,
          subscription: request.category === 'marketing' ? (request.subscription ?? null) : null,
          to,
          from: message.from ?? null,
          reply_to: message.replyTo ?? null,
          subject: message.subject ?? null,
          html: message.html ?? null,
          text: message.text ?? null,
          headers: JSON.stringify(message.headers),
          links: JSON.stringify(links),
          credential_id: request.credential && isUuid(request.credential) ? request.credential : null,
          status: decided.status,
          reason: decided.status === 'queued' ? null : decided.reason,
          delayed_until: decided.status === 'delayed' ? decided.until : null,
          error: null,
          created_at: now,
        };
        // A first attempt that may go at once is written once, with what became of it.
        if (atOnce && !found && decided.status === 'queued') {
          const delivery = await handOver({ ...scope, db: trx }, request, message, id, await credential());
          await trx
            .insertInto('messages')
            .values({ ...row, ...markColumns(delivery.mark, now) })
            .execute();
          return { decision: decided, delivery: delivery.answer };
        }
        await trx
          .insertInto('messages')
          .values(row)
          .onConflict((oc) =>
            oc.column('idempotency_key').doUpdateSet({
              status: row.status,
              reason: row.reason,
              delayed_until: row.delayed_until,
              error: null,
              created_at: now,
            }),
          )
          .execute();
        if (!atOnce || decided.status !== 'queued') return { decision: decided, delivery: null };
        const delivery = await deliver({ ...scope, db: trx }, request, message, id, now, await credential());
        return { decision: decided, delivery };
      });
      if (delivery) return outcomeOf(delivery);
      if (decision.status !== 'queued') {
        scope.runtime.metrics.messages.inc({ channel: request.channel, outcome: decision.status });
        return {
          messageId: id,
          status: decision.status,
          reason: decision.reason,
          ...(decision.status === 'delayed' ? { until: decision.until } : {}),
        };
      }
      // Beyond its journey's send rate or its credential's, the message is held, queued, and the step waits.
      const gate = heldForRate
        ? { go: true as const }
        : await takeRateSlots(db, limits ?? (await rateLimitsOf(scope, request, credential())), id);
      if (!gate.go) {
        // A decision like quiet hours' (API.md "Metrics"): it counts again when finally sent.
        scope.runtime.metrics.messages.inc({ channel: request.channel, outcome: 'delayed' });
        return holdForRate(db, id, gate.until);
      }
      if (contact) return deliverLocked(scope, contact.id, request, message, id, now, await credential());
      return outcomeOf(await deliver(scope, request, message, id, now, await credential()));
    },
  };
}

/** A message held for a rate: queued, the step told when to ask again. */
async function holdForRate(db: Kysely<Database>, id: string, until: Date): Promise<SendResult> {
  await db.updateTable('messages').set({ delayed_until: until }).where('id', '=', id).execute();
  return { messageId: id, status: 'delayed', reason: 'send-rate', until };
}

/** The rates a message goes out under: its journey's `sendRate`, then its credential's `maxPerSecond`. */
async function rateLimitsOf(
  scope: StepScope,
  request: SendRequest,
  reading: Promise<SendingCredential> | null,
): Promise<RateLimit[]> {
  // The credential first: a refusal must meet its handler before anything else is awaited.
  const credential = reading ? await reading : null;
  const limits: RateLimit[] = [];
  const journey = await journeySendRate(scope.db, scope.journeyId, scope.version);
  if (journey) limits.push(journey);
  if (request.credential && credential?.maxPerSecond)
    limits.push({ kind: 'credential', id: request.credential, count: credential.maxPerSecond, windowMs: 1000 });
  return limits;
}
