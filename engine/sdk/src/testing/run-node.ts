import { randomUUID } from 'node:crypto';
import type { Contact, ContactEvent } from '../contact.js';
import type { NodeContext, Resume, RunInfo, RunResult } from '../context.js';
import { type AnyNodeDefinition, outputsOf } from '../define-node.js';
import { NodeError } from '../errors.js';
import type { JsonObject, JsonValue } from '../json.js';
import { toOutcome, unknownOutputs } from '../outcome.js';
import type { CredentialSender } from '../sending/providers.js';
import type { HttpResponse, Lead, Logger } from '../services.js';
import { renderParams } from '../template/params.js';
import { paramsRenderFailure, UNSUBSCRIBE_URL_PLACEHOLDER } from '../template/template.js';
import { MemoryContacts, makeContact } from './memory-contacts.js';
import {
  type GateDecision,
  memoryCredentials,
  memoryHttp,
  memoryLeads,
  memoryMessages,
  type RecordedMessage,
  type RecordedRequest,
} from './memory-services.js';
import { validateParams } from './params.js';

export interface RunNodeOptions {
  params: unknown;
  /** The run's contact (fields defaulted); null for an anonymous run. Default: a blank contact. */
  contact?: Partial<Contact> | null;
  trigger?: JsonObject;
  steps?: Record<string, { output: JsonValue }>;
  resume?: Resume | null;
  now?: Date;
  attempt?: number;
  nodeId?: string;
  /** Events already stored on the contact, for filters counting them. */
  events?: Omit<ContactEvent, 'id' | 'contactId'>[];
  /** Answers `ctx.http` requests. */
  http?: (request: RecordedRequest) => HttpResponse | Promise<HttpResponse>;
  /**
   * Stored credentials by id: `{ type, data }` (a sending one carries its type's `sender` to
   * deliver through it), or the data alone, taken as a credential of the node's first
   * `credentials` type.
   */
  credentials?: Record<string, StoredCredential | JsonObject>;
  /** What the message gate answers (default: sent). */
  gate?: GateDecision;
  /** Call a send request's `deliver` (SMTP, gateway) for sent messages. Default false. */
  deliver?: boolean;
}

/** A credential as `runNode` stores it: its type, its data and, for a sending type, its sender. */
export interface StoredCredential {
  type: string;
  data: JsonObject;
  sender?: CredentialSender;
}

const isStored = (given: StoredCredential | JsonObject): given is StoredCredential =>
  typeof given.type === 'string' && typeof given.data === 'object' && given.data !== null && !Array.isArray(given.data);

// The README's example names a credential by its data alone (`{ key: '…' }`): a package's test
// then needs no type it already declared on the node.
export function storedCredentials(
  given: Record<string, StoredCredential | JsonObject>,
  declared: readonly string[],
): Record<string, StoredCredential> {
  return Object.fromEntries(
    Object.entries(given).map(([id, c]) => [id, isStored(c) ? c : { type: declared[0] ?? '', data: c }]),
  );
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object | string;
  msg?: string;
}

export interface RunNodeOutcome {
  result: RunResult;
  /** The contact's state after the run (null for an anonymous run). */
  contact: Contact | null;
  messages: RecordedMessage[];
  events: ContactEvent[];
  logs: LogLine[];
  http: RecordedRequest[];
  leads: Lead[];
  /** The params as `run` saw them: defaults filled, templates rendered. */
  params: JsonValue;
}

/** `ctx.log` writing to `lines`. */
export function memoryLogger(lines: LogLine[]): Logger {
  const at = (level: LogLine['level']) => (obj: object | string, msg?: string) =>
    void lines.push({ level, obj, ...(msg !== undefined ? { msg } : {}) });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Throws, as a `NodeError` of code `node.invalid-result` with the engine's message, when the
 * engine would fail the step for what `run` returned: not `{ next }` or a wait, an output that
 * is not JSON, a wait past the 1,000-year bound, or a `next` naming an output the node does not
 * have for these params. A package's test then fails where production would.
 */
function refuseInvalidResult(node: AnyNodeDefinition, params: JsonValue, result: unknown, now: number): void {
  let outcome = toOutcome(result, now);
  if (outcome.kind === 'next') {
    const outputs = outputsOf(node, params);
    const unknown = outcome.outputs.filter((o) => !outputs.includes(o));
    if (unknown.length) outcome = unknownOutputs(unknown, outputs);
  }
  if (outcome.kind === 'error') throw new NodeError(outcome.error.message, { code: outcome.error.code });
}

/**
 * Runs one node with in-memory services, as the engine would run one step: params are
 * validated (defaults filled) and their templates rendered, then `run` is called. A result
 * the engine would refuse (an unknown output, a wait without a valid date) throws a
 * `NodeError` of code `node.invalid-result`, as a thrown error of `run` is thrown.
 *
 * @example
 * const { result, contact } = await runNode(tag, { params: { action: 'add', tag: 'vip' } });
 * expect(result).toEqual({ next: 'out' });
 * expect(contact?.tags[0]?.tag).toBe('vip');
 */
export async function runNode(node: AnyNodeDefinition, options: RunNodeOptions): Promise<RunNodeOutcome> {
  const clock = options.now ?? new Date();
  const now = () => new Date(clock.getTime());
  const contacts = new MemoryContacts(now);
  const contact = options.contact === null ? null : makeContact(options.contact ?? {});
  if (contact) contacts.contacts.set(contact.id, contact);
  for (const e of options.events ?? []) contacts.events.push({ ...e, id: randomUUID(), contactId: contact?.id ?? '' });
  const messages: RecordedMessage[] = [];
  const http: RecordedRequest[] = [];
  const leads: Lead[] = [];
  const logs: LogLine[] = [];
  const credentials = storedCredentials(options.credentials ?? {}, node.credentials ?? []);
  const run: RunInfo = { id: randomUUID(), journeyId: randomUUID(), version: 1, startedAt: now().toISOString() };
  const trigger = options.trigger ?? {};
  const steps = options.steps ?? {};
  const params = structuredClone(options.params ?? {}) as JsonValue;
  validateParams(node, params);
  const rendered = await renderParams(node.params, params, {
    contact,
    trigger,
    steps,
    run,
    unsubscribeUrl: UNSUBSCRIBE_URL_PLACEHOLDER,
  }).catch((error: unknown) => {
    throw paramsRenderFailure(error);
  });
  const idempotencyKey = `test:${run.id}:${options.nodeId ?? 'n1'}`;
  const client = memoryHttp(http, idempotencyKey, options.http);
  const publicUrl = 'https://waymark.test';
  const ctx: NodeContext<unknown> = {
    params: rendered,
    node: { id: options.nodeId ?? 'n1', type: node.type, version: node.version },
    contact: contact ? structuredClone(contact) : null,
    trigger,
    steps,
    run,
    idempotencyKey,
    attempt: options.attempt ?? 1,
    resume: options.resume ?? null,
    signal: new AbortController().signal,
    log: memoryLogger(logs),
    now,
    contacts,
    messages: memoryMessages(messages, {
      gate: options.gate,
      deliver: options.deliver,
      contact,
      sendVia: async (id, message) => {
        const credential = credentials[id];
        if (!credential?.sender) throw new NodeError(`credential ${id} is no sending credential`);
        return credential.sender.send(message, { data: credential.data, http: client, idempotencyKey, publicUrl });
      },
    }),
    http: client,
    credentials: memoryCredentials(credentials, node.credentials ?? []),
    leads: memoryLeads(leads, contact?.id ?? null, now),
  };
  const result = await node.run(ctx as NodeContext<never>);
  refuseInvalidResult(node, params, result, clock.getTime());
  const after = contact ? (contacts.contacts.get(contact.id) ?? null) : null;
  return { result, contact: after, messages, events: contacts.events, logs, http, leads, params: rendered };
}
