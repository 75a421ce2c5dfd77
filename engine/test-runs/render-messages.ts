import { randomUUID } from 'node:crypto';
import {
  type MessagesService,
  NodeError,
  parseDuration,
  type SendRequest,
  type SendResult,
  subtractDuration,
} from '@waymark/sdk';
import { resolveTemplate } from '../content/send.js';
import { prepareMessage } from '../messages/compose/prepare-message.js';
import { type ContactRules, loadContactRules } from '../messages/rules/contact-rules.js';
import { decide } from '../messages/rules/decide.js';
import type { StepScope } from '../services/step-scope.js';
import type { SimulatedContacts } from './render-contacts.js';
import type { TestMessage } from './types.js';

function resultOf(message: TestMessage): SendResult {
  return {
    messageId: message.messageId,
    status: message.status,
    ...(message.reason ? { reason: message.reason } : {}),
    ...(message.status === 'delayed' && message.delayedUntil ? { until: new Date(message.delayedUntil) } : {}),
  };
}

/**
 * The message gate of one test run: each message is rendered exactly as production would
 * deliver it (tracked links, pixel, unsubscribe headers) and judged by the same contact rules,
 * then kept here: nothing is sent, stored or counted. Like production, one step sends once,
 * and a message delayed by quiet hours is judged again when the step resumes.
 */
export class SimulatedOutbox {
  readonly messages: TestMessage[] = [];
  readonly #byStep = new Map<string, TestMessage>();

  constructor(private readonly contacts: SimulatedContacts) {}

  /** `holdout`: the step's token took a split's holdout variant (experiments/holdout.ts). */
  service(scope: StepScope, holdout: boolean): MessagesService {
    return { send: (request) => this.#send(scope, holdout, request) };
  }

  /**
   * The rules with the cap lowered by the marketing messages this walk already "sent" in the
   * period: the stored count plus the walk's own is then measured against the real cap.
   */
  #rulesCountingWalk(rules: ContactRules, now: Date): ContactRules {
    const cap = rules.marketing;
    if (!cap || parseDuration(cap.period) === null) return rules;
    const since = subtractDuration(now, cap.period).getTime();
    const earlier = this.messages.filter(
      (m) => m.category === 'marketing' && m.status === 'sent' && Date.parse(m.at) > since,
    ).length;
    return { ...rules, marketing: { ...cap, maxMessages: Math.max(0, cap.maxMessages - earlier) } };
  }

  async #send(scope: StepScope, holdout: boolean, request: SendRequest): Promise<SendResult> {
    const now = scope.now();
    const found = this.#byStep.get(scope.idempotencyKey);
    if (found && (found.status === 'sent' || found.status === 'suppressed')) return resultOf(found);
    if (found?.status === 'delayed' && found.delayedUntil && Date.parse(found.delayedUntil) > now.getTime())
      return resultOf(found);

    const contact = this.contacts.current(scope.contactId);
    const to =
      request.to ?? (request.channel === 'email' ? contact?.email : request.channel === 'sms' ? contact?.phone : null);
    if (!to) throw new NodeError(`no ${request.channel} address to send to`);
    const rules = this.#rulesCountingWalk(await loadContactRules(scope.db, scope.workspaceId), now);
    const messageId = found?.messageId ?? randomUUID();
    const { config, keys } = scope.runtime;
    const resolved = await resolveTemplate(
      scope.db,
      scope.workspaceId,
      { keys, publicUrl: config.publicUrl },
      messageId,
      request,
    );
    const { message } = prepareMessage(scope, messageId, resolved, to);
    const decision = await decide(scope.db, {
      workspaceId: scope.workspaceId,
      request,
      to,
      contact,
      rules,
      now,
      messageId: null,
      holdout,
    });
    const delayedUntil = decision.status === 'delayed' ? decision.until.toISOString() : found?.delayedUntil;
    const entry: TestMessage = {
      nodeId: scope.nodeId,
      messageId,
      channel: request.channel,
      category: request.category,
      to,
      ...(message.from ? { from: message.from } : {}),
      ...(message.replyTo ? { replyTo: message.replyTo } : {}),
      ...(message.subject !== undefined ? { subject: message.subject } : {}),
      ...(message.html !== undefined ? { html: message.html } : {}),
      ...(message.text !== undefined ? { text: message.text } : {}),
      headers: message.headers,
      // Production queues the message and delivers it at once; here delivery is the one thing left out.
      status: decision.status === 'queued' ? 'sent' : decision.status,
      ...(decision.status !== 'queued' ? { reason: decision.reason } : {}),
      at: now.toISOString(),
      ...(delayedUntil ? { delayedUntil } : {}),
    };
    if (found) this.messages[this.messages.indexOf(found)] = entry;
    else this.messages.push(entry);
    this.#byStep.set(scope.idempotencyKey, entry);
    return resultOf(entry);
  }
}
