import { NodeError, type PreparedMessage, type SendRequest, type SendResult } from '@waymark/sdk';
import type { SendingContact } from '../../contacts/load.js';
import { resolveTemplate } from '../../content/send.js';
import { isUuid, newId } from '../../db/ids.js';
import type { StoredLink } from '../../db/tables/messages.js';
import { journeySendRate, type RateLimit } from '../../sending/send-rate.js';
import { type SendingCredential, sendingCredential } from '../../sending/senders.js';
import { type StepScope, shared } from '../../services/step-scope.js';
import { prepareMessage } from '../compose/prepare-message.js';
import { type ContactRules, loadContactRules } from '../rules/contact-rules.js';
import type { Decision } from '../rules/decide.js';

/** One step's `ctx.messages.send`. */
export interface SendItem {
  scope: StepScope;
  asked: SendRequest;
}

/** A message row already stored under the step's idempotency key. */
export interface StoredMessage {
  id: string;
  idempotency_key: string;
  status: SendResult['status'];
  reason: string | null;
  delayed_until: Date | null;
}

/** A message ready to be decided: its address, rendering and what governs it. */
export interface PreparedSend {
  item: SendItem;
  now: Date;
  contact: SendingContact | null;
  to: string;
  rules: ContactRules;
  id: string;
  request: SendRequest;
  message: PreparedMessage;
  links: StoredLink[];
  /** The asked credential, read once per batch, and only if the rates or the delivery need it. */
  credential(): Promise<SendingCredential> | null;
}

/** The stored row's answer when the step already sent (or may not yet ask again), else null. */
export function storedAnswer(found: StoredMessage | undefined, now: Date): SendResult | null {
  if (!found) return null;
  const delayedUntil = found.delayed_until ? new Date(found.delayed_until) : null;
  const final = found.status === 'sent' || found.status === 'suppressed';
  if (!final && !(found.status === 'delayed' && delayedUntil && delayedUntil > now)) return null;
  return {
    messageId: found.id,
    status: found.status,
    ...(found.reason ? { reason: found.reason as SendResult['reason'] } : {}),
    ...(found.status === 'delayed' && delayedUntil ? { until: delayedUntil } : {}),
  };
}

/** True for a stored message waiting for its place under a send rate. */
export function heldForRate(found: StoredMessage | undefined): boolean {
  return found?.status === 'queued' && found.delayed_until !== null;
}

/** The asked credential as the batch reads it. */
export function credentialOf({ scope, asked }: SendItem): () => Promise<SendingCredential> | null {
  const id = asked.credential;
  if (!id) return () => null;
  return () => shared(scope, `credential:${id}:${asked.channel}`, () => sendingCredential(scope, id, asked.channel));
}

/** Resolves the address, template and rendering of a message (no rule decided yet). */
export async function prepareSend(
  item: SendItem,
  found: StoredMessage | undefined,
  contact: SendingContact | null,
): Promise<PreparedSend> {
  const { scope, asked } = item;
  const to = asked.to ?? (asked.channel === 'email' ? contact?.email : asked.channel === 'sms' ? contact?.phone : null);
  if (!to)
    throw new NodeError(`no ${asked.channel} address to send to`, {
      code: asked.channel === 'email' ? 'email.no-address' : asked.channel === 'sms' ? 'sms.no-phone' : 'node.failed',
    });
  const rules = await shared(scope, `contact-rules:${scope.workspaceId}`, () =>
    loadContactRules(scope.db, scope.workspaceId),
  );
  const id = found?.id ?? newId();
  const { config, keys } = scope.runtime;
  const env = { keys, publicUrl: config.publicUrl };
  const request = await resolveTemplate(scope.db, scope.workspaceId, env, id, asked, (key, read) =>
    shared(scope, key, read),
  );
  const { message, links } = prepareMessage(scope, id, request, to);
  return { item, now: scope.now(), contact, to, rules, id, request, message, links, credential: credentialOf(item) };
}

/** The rates a message goes out under: its journey's `sendRate`, then its credential's `maxPerSecond`. */
export async function rateLimitsOf(send: Pick<PreparedSend, 'item' | 'request' | 'credential'>): Promise<RateLimit[]> {
  const { scope } = send.item;
  // The credential first: a refusal must meet its handler before anything else is awaited.
  const reading = send.credential();
  const credential = reading ? await reading : null;
  const limits: RateLimit[] = [];
  const journey = await shared(scope, `send-rate:${scope.journeyId}:${scope.version}`, () =>
    journeySendRate(scope.db, scope.journeyId, scope.version),
  );
  if (journey) limits.push(journey);
  if (send.request.credential && credential?.maxPerSecond)
    limits.push({ kind: 'credential', id: send.request.credential, count: credential.maxPerSecond, windowMs: 1000 });
  return limits;
}

/** The message row a decided message is stored as (no delivery mark yet). */
export function messageRow(send: PreparedSend, decided: Decision) {
  const { scope } = send.item;
  const { request, message } = send;
  return {
    id: send.id,
    workspace_id: scope.workspaceId,
    idempotency_key: scope.idempotencyKey,
    run_id: scope.runId,
    journey_id: scope.journeyId,
    node_id: scope.nodeId,
    contact_id: send.contact?.id ?? null,
    channel: request.channel,
    category: request.category,
    subscription: request.category === 'marketing' ? (request.subscription ?? null) : null,
    to: send.to,
    from: message.from ?? null,
    reply_to: message.replyTo ?? null,
    subject: message.subject ?? null,
    html: message.html ?? null,
    text: message.text ?? null,
    headers: message.headers,
    links: send.links,
    credential_id: request.credential && isUuid(request.credential) ? request.credential : null,
    status: decided.status,
    reason: decided.status === 'queued' ? null : decided.reason,
    delayed_until: decided.status === 'delayed' ? decided.until : null,
    error: null,
    created_at: send.now,
  };
}

/** The answer of a message the rules did not let go now. */
export function decisionAnswer(send: PreparedSend, decision: Exclude<Decision, { status: 'queued' }>): SendResult {
  send.item.scope.runtime.metrics.messages.inc({ channel: send.request.channel, outcome: decision.status });
  return {
    messageId: send.id,
    status: decision.status,
    reason: decision.reason,
    ...(decision.status === 'delayed' ? { until: decision.until } : {}),
  };
}
