import {
  DURATION_MAX_SECONDS,
  NodeError,
  RetryableError,
  TRIGGER_REFUSED,
  TriggerRefusal,
  WaymarkError,
} from '@waymark/sdk';

// What a package's thread and this thread say to each other about an attempt: the messages,
// and errors carried across as plain data and back in Waymark's own classes.

interface SerializedError {
  message: string;
  code?: string;
  stepCode?: string;
  retryable?: boolean;
  retryAfterMs?: number;
  /** A trigger's refusal: the HTTP status it answers. */
  status?: number;
  output?: Record<string, unknown>;
  details?: { path?: string; message: string }[];
}

export type ThreadMessage = { attempt: number } & (
  | { kind: 'started' }
  | { kind: 'call'; id: number; service: string; method: string; args: unknown[] }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; obj: object | string; msg?: string }
  | { kind: 'result'; reusable: boolean; ok: true; value: unknown }
  | { kind: 'result'; reusable: boolean; ok: false; error: SerializedError }
);

const SERVICES = ['contacts', 'messages', 'http', 'credentials', 'leads'] as const;

/** The services of an attempt's `ctx` its thread may call back, by name. */
export type AttemptServices = Partial<Record<(typeof SERVICES)[number], unknown>>;

function serialize(error: unknown): SerializedError {
  const e = (error ?? {}) as Partial<NodeError & RetryableError & WaymarkError>;
  return {
    message: error instanceof Error ? error.message : String(error),
    ...(error instanceof WaymarkError ? { code: error.code, details: [...error.details] } : {}),
    ...(error instanceof NodeError
      ? { stepCode: error.stepCode, retryable: error.retryable, ...(e.output ? { output: e.output } : {}) }
      : {}),
    ...(typeof e.retryAfterMs === 'number' ? { retryAfterMs: e.retryAfterMs } : {}),
  };
}

/**
 * A delay a package's error asks for, when it is one: past the bound of durations it would end
 * at a time PostgreSQL cannot store (a send held that long retried its step for ever), so it is
 * no delay of its own, as a malformed `Retry-After` is.
 */
const delayOf = (ms: number | undefined) =>
  ms !== undefined && ms >= 0 && ms <= DURATION_MAX_SECONDS * 1000 ? { retryAfterMs: ms } : {};

/** A package's error back in Waymark's own classes, so the engine decides on it as usual. */
export function revive(e: SerializedError): Error {
  if (e.stepCode) {
    const options = { code: e.stepCode, ...(e.output ? { output: e.output } : {}) };
    return e.retryable
      ? new RetryableError(e.message, { ...options, ...delayOf(e.retryAfterMs) })
      : new NodeError(e.message, options);
  }
  if (e.code === TRIGGER_REFUSED && typeof e.status === 'number') return new TriggerRefusal(e.status, e.message);
  // A service's refusal stays final; a plain throw is retried, as in the main thread (`node.exception`).
  if (e.code) return new WaymarkError(e.code, e.message, e.details ?? []);
  return new Error(e.message);
}

/** Answers a thread's call of one of its attempt's services: the value, or the error as plain data. */
export async function answerCall(services: AttemptServices, call: Extract<ThreadMessage, { kind: 'call' }>) {
  try {
    const service = SERVICES.find((s) => s === call.service);
    const target = service ? (services[service] as Record<string, unknown> | undefined) : undefined;
    const method = target?.[call.method];
    if (typeof method !== 'function') throw new NodeError(`ctx.${call.service}.${call.method} is not a service`);
    const value: unknown = await Reflect.apply(method, target, call.args);
    return { kind: 'reply', id: call.id, ok: true, value: value === undefined ? undefined : structuredClone(value) };
  } catch (error) {
    return { kind: 'reply', id: call.id, ok: false, error: serialize(error) };
  }
}
