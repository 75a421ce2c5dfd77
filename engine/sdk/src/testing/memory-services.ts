import { randomUUID } from 'node:crypto';
import { NodeError } from '../errors.js';
import type { JsonObject } from '../json.js';
import type {
  CredentialsService,
  HttpClient,
  HttpRequest,
  HttpResponse,
  Lead,
  LeadsService,
  MessagesService,
  PreparedMessage,
  SendRequest,
  SendResult,
} from '../services.js';

/** A message a node sent during `runNode`, as the gate saw it. */
export interface RecordedMessage extends SendRequest {
  messageId: string;
  status: SendResult['status'];
  reason?: SendResult['reason'];
}

/** Decides what the in-memory gate answers; default: sent. */
export type GateDecision = (request: SendRequest) => Partial<Omit<SendResult, 'messageId'>> | undefined;

/** `ctx.messages` that records instead of sending, optionally delivering (`deliver`, or the credential's sender). */
export function memoryMessages(
  sent: RecordedMessage[],
  options: {
    gate?: GateDecision;
    deliver?: boolean;
    contact: { email: string | null; phone: string | null } | null;
    /** Delivers through a sending credential (a request's `credential`). */
    sendVia?: (credentialId: string, message: PreparedMessage) => Promise<unknown>;
  },
): MessagesService {
  return {
    async send(request) {
      const messageId = randomUUID();
      const decision = options.gate?.(request) ?? {};
      const status = decision.status ?? 'sent';
      const to = request.to ?? (request.channel === 'sms' ? options.contact?.phone : options.contact?.email) ?? '';
      if (status === 'sent' && options.deliver && (request.deliver || request.credential)) {
        const prepared: PreparedMessage = { ...request, messageId, to, headers: request.headers ?? {} };
        if (request.credential && options.sendVia) await options.sendVia(request.credential, prepared);
        else await request.deliver?.(prepared);
      }
      sent.push({ ...request, to, messageId, status, ...(decision.reason ? { reason: decision.reason } : {}) });
      return { messageId, status, ...decision };
    },
  };
}

/** A request the node made through `ctx.http`, with the idempotency key the engine would add. */
export type RecordedRequest = HttpRequest & { headers: Record<string, string> };

/** `ctx.http` answered by a test's handler; without one every request fails. */
export function memoryHttp(
  calls: RecordedRequest[],
  idempotencyKey: string,
  handler?: (request: RecordedRequest) => HttpResponse | Promise<HttpResponse>,
): HttpClient {
  return {
    async request(request) {
      const recorded = { ...request, headers: { ...request.headers, 'idempotency-key': idempotencyKey } };
      calls.push(recorded);
      if (!handler) throw new NodeError('runNode: no http handler was given');
      return handler(recorded);
    },
  };
}

/** `ctx.credentials` over a map of id → { type, data }, refusing types the node does not declare. */
export function memoryCredentials(
  stored: Record<string, { type: string; data: JsonObject }>,
  allowed: readonly string[],
): CredentialsService {
  return {
    async get<T extends JsonObject>(id: string) {
      const credential = stored[id];
      if (!credential || !allowed.includes(credential.type)) throw new NodeError(`credential ${id} is not available`);
      return credential.data as T;
    },
  };
}

/** `ctx.leads` in memory, round-robin by the owners list. */
export function memoryLeads(leads: Lead[], contactId: string | null, now: () => Date): LeadsService {
  const counters = new Map<string, number>();
  return {
    async create({ title, owners, assign }) {
      const key = owners.join('\n');
      const n = counters.get(key) ?? 0;
      counters.set(key, n + 1);
      const owner = (assign === 'first' ? owners[0] : owners[n % owners.length]) ?? '';
      const lead: Lead = { id: randomUUID(), title, contactId, owner, status: 'open', createdAt: now().toISOString() };
      leads.push(lead);
      return lead;
    },
  };
}
