import type { Contact, ContactEvent } from './contact.js';
import type { JsonObject, JsonOutput, JsonValue } from './json.js';
import type {
  ContactsService,
  CredentialsService,
  HttpClient,
  LeadsService,
  Logger,
  MessagesService,
} from './services.js';

/** Why a waiting step runs again: its time came, its event arrived, or its wait timed out. */
export type Resume = { kind: 'time' } | { kind: 'event'; event: ContactEvent } | { kind: 'timeout' };

/** The run a step belongs to. */
export type RunInfo = {
  id: string;
  journeyId: string;
  version: number;
  startedAt: string;
};

/** Everything a node's `run` may use. The engine builds it for each step. */
export interface NodeContext<P> {
  /** Validated params, every `format: "template"` string already rendered. */
  params: P;
  node: { id: string; type: string; version: number };
  /** The run's contact, or null for an anonymous run. */
  contact: Contact | null;
  /** The run's trigger payload. */
  trigger: JsonObject;
  /** Outputs of the steps before this one on the token's path, by node id. */
  steps: Record<string, { output: JsonValue }>;
  run: RunInfo;
  /** Stable across retries and crash re-runs of this step: pass it to anything that must not happen twice. */
  idempotencyKey: string;
  /** 1 on the first attempt. */
  attempt: number;
  /** Set when a step that returned a wait runs again. */
  resume: Resume | null;
  /** Aborted when the step's time limit passes. */
  signal: AbortSignal;
  log: Logger;
  /** The engine's clock: use it instead of `new Date()` so tests and test runs control time. */
  now(): Date;
  contacts: ContactsService;
  messages: MessagesService;
  http: HttpClient;
  credentials: CredentialsService;
  leads: LeadsService;
}

/** Follow one output (or several, to fork) and pass data on to later steps. */
export interface NextResult<O extends string> {
  next: O | readonly O[];
  output?: JsonOutput;
}

/**
 * Park the token until a time, then run the node again with `ctx.resume = { kind: 'time' }`.
 * With `held: true` the token waits for its turn rather than in a wait the journey drew (a send
 * held for a send rate, contracts/sending.md): its run stays `running`, and neither the run nor
 * the node counts it as waiting.
 */
export interface TimeWaitResult {
  wait: { until: Date; held?: boolean };
  output?: JsonOutput;
}

/**
 * Park the token until an event named `event` (matching `filter` on its properties) is stored
 * for the contact after now, or until `timeoutAt`; the node then runs again with
 * `ctx.resume` set to `{ kind: 'event', event }` or `{ kind: 'timeout' }`.
 */
export interface EventWaitResult {
  wait: { event: string; filter?: import('./filter/types.js').Filter; timeoutAt: Date };
  output?: JsonOutput;
}

/** What a node's `run` returns. */
export type RunResult<O extends string = string> = NextResult<O> | TimeWaitResult | EventWaitResult;
