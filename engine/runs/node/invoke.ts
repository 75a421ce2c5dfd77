import {
  type AnyNodeDefinition,
  DURATION_BOUND_TEXT,
  DURATION_MAX_SECONDS,
  eventNameProblem,
  type JsonObject,
  type JsonValue,
  type NodeContext,
  NodeError,
  type Resume,
  RetryableError,
  WaymarkError,
} from '@waymark/sdk';
import { StepSecrets } from '../../credentials/step-secrets.js';

/** What one execution of a node came to, after checking the shape of what `run` returned. */
export type Outcome =
  | { kind: 'next'; outputs: string[]; output: JsonValue | null }
  | { kind: 'wait-time'; until: Date; output: JsonValue | null; held?: boolean }
  | { kind: 'wait-event'; event: string; filter: JsonValue | null; timeoutAt: Date; output: JsonValue | null }
  | {
      kind: 'error';
      retryable: boolean;
      /** `code` is stable (NODES.md "Error codes"). */
      error: { message: string; code: string };
      /** JSON the node kept beside the error for the `error` output (http.request: the answer). */
      output?: JsonObject;
      /** The delay the failure asked for before the next attempt (a `Retry-After`). */
      retryAfterMs?: number;
    };

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_ATTEMPTS = 5;

/** What a thrown value comes to: a `NodeError`'s code and output, or `node.exception` (retried) for anything else. */
export function errorOutcome(error: unknown): Extract<Outcome, { kind: 'error' }> {
  const e = error as { message?: unknown } | null;
  const message = typeof e?.message === 'string' && e.message ? e.message : String(error);
  // A service's own refusal (a validation error) will not pass on another attempt.
  if (error instanceof WaymarkError && !(error instanceof NodeError))
    return { kind: 'error', retryable: false, error: { message, code: 'node.failed' } };
  if (!(error instanceof NodeError))
    return { kind: 'error', retryable: true, error: { message, code: 'node.exception' } };
  const output = jsonOutput(error.output);
  const retryAfterMs = error instanceof RetryableError ? error.retryAfterMs : undefined;
  return {
    kind: 'error',
    retryable: error.retryable,
    error: { message, code: error.stepCode },
    ...(output && typeof output === 'object' && !Array.isArray(output) ? { output } : {}),
    ...(typeof retryAfterMs === 'number' && retryAfterMs >= 0 ? { retryAfterMs } : {}),
  };
}

/** A result the engine cannot use: the step fails at once (then `onError` decides). */
export const invalidResult = (message: string): Extract<Outcome, { kind: 'error' }> => ({
  kind: 'error',
  retryable: false,
  error: { message: `the node returned an invalid result: ${message}`, code: 'node.invalid-result' },
});

/** A copy of a plain object of strings, finite numbers, booleans and nulls (what most nodes return); null for anything else. */
function flatCopy(value: object): JsonObject | null {
  if (Object.getPrototypeOf(value) !== Object.prototype) return null;
  const copy: JsonObject = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue; // JSON leaves it out
    if (v !== null && typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v)))
      return null;
    copy[key] = v;
  }
  return copy;
}

/** What `value` is as JSON, copied (undefined: it is not JSON). */
function jsonOutput(value: unknown): JsonValue | null | undefined {
  if (value === undefined || value === null) return null;
  // The round trip below costs more than the node's run for a small flat object.
  const flat = typeof value === 'object' && !Array.isArray(value) ? flatCopy(value) : null;
  if (flat) return flat;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
  } catch {
    return undefined;
  }
}

const validDate = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());

/**
 * What is wrong with a date a result asks to wait for, or null: it must be a valid Date within
 * the bound of a duration of `now` (a later one is past what PostgreSQL reads, and its run
 * would retry its step for ever).
 */
function dateProblem(field: string, value: unknown, now: number): string | null {
  if (!validDate(value)) return `${field} must be a valid Date`;
  if (Math.abs(value.getTime() - now) > DURATION_MAX_SECONDS * 1000)
    return `${field} must be ${DURATION_BOUND_TEXT} from now, not ${value.toISOString()}`;
  return null;
}

/** Checks what `run` returned: `{ next, output? }` or one of the two wait requests. */
export function toOutcome(result: unknown, now = Date.now()): Outcome {
  if (!result || typeof result !== 'object' || Array.isArray(result)) return invalidResult('expected an object');
  const r = result as Record<string, unknown>;
  const output = jsonOutput(r.output);
  if (output === undefined) return invalidResult('output is not JSON');
  if ('next' in r) {
    const list = Array.isArray(r.next) ? r.next : [r.next];
    if (!list.every((o) => typeof o === 'string'))
      return invalidResult('next must be an output name or a list of them');
    return { kind: 'next', outputs: [...new Set(list as string[])], output };
  }
  if (r.wait && typeof r.wait === 'object') {
    const w = r.wait as Record<string, unknown>;
    if ('until' in w) {
      const problem = dateProblem('wait.until', w.until, now);
      if (problem) return invalidResult(problem);
      const until = w.until as Date;
      return w.held === true ? { kind: 'wait-time', until, output, held: true } : { kind: 'wait-time', until, output };
    }
    const eventProblem = eventNameProblem(w.event);
    if (eventProblem) return invalidResult(`wait.event must be an event name: it ${eventProblem}`);
    const problem = dateProblem('wait.timeoutAt', w.timeoutAt, now);
    if (problem) return invalidResult(problem);
    const filter = w.filter === undefined ? null : jsonOutput(w.filter);
    if (filter === undefined) return invalidResult('wait.filter is not JSON');
    return { kind: 'wait-event', event: w.event as string, filter, timeoutAt: w.timeoutAt as Date, output };
  }
  return invalidResult('expected { next } or { wait }');
}

/**
 * A step's abort signal, made when a node first reads `ctx.signal`: most nodes never do, and
 * an AbortController per step costs more than the rest of an inline node's run.
 */
class StepAbort {
  #controller: AbortController | null = null;
  #reason: Error | null = null;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: Error): void {
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

/** `outcome` with the credential values its step read hidden in its output and error. */
function withoutSecrets(outcome: Outcome, secrets: StepSecrets): Outcome {
  if (secrets.none) return outcome;
  if (outcome.kind !== 'error') return { ...outcome, output: secrets.value(outcome.output) };
  const error = { message: secrets.text(outcome.error.message), code: outcome.error.code };
  return outcome.output ? { ...outcome, error, output: secrets.value(outcome.output) } : { ...outcome, error };
}

/**
 * Runs a node once under its time limit. Never throws: a thrown error, a timeout and a
 * malformed result all become an `error` outcome (timeouts retryable, malformed results not).
 * `buildContext` gets the step's abort signal as a function (it is made on first use) and
 * the step's secrets, which its `ctx.credentials` and `ctx.log` are to use: the credential
 * values the node read are hidden from the outcome.
 */
export async function invokeNode(
  definition: AnyNodeDefinition,
  buildContext: (signal: () => AbortSignal, secrets: StepSecrets) => Promise<NodeContext<never>>,
): Promise<Outcome> {
  const limit = definition.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const abort = new StepAbort();
  const secrets = new StepSecrets();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => {
      abort.abort(new Error(`the step timed out after ${limit} ms`));
      resolve({
        kind: 'error',
        retryable: true,
        error: { message: `the step timed out after ${limit} ms`, code: 'node.timeout' },
      });
    }, limit);
  });
  const running = (async (): Promise<Outcome> => {
    try {
      const ctx = await buildContext(() => abort.signal, secrets);
      return toOutcome(await definition.run(ctx));
    } catch (error) {
      return errorOutcome(error);
    }
  })();
  try {
    return withoutSecrets(await Promise.race([running, timedOut]), secrets);
  } finally {
    clearTimeout(timer);
  }
}

export type { Resume };
