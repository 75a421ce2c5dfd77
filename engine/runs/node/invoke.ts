import { type AnyNodeDefinition, isRetryable, type JsonValue, type NodeContext, type Resume } from '@waymark/sdk';

/** What one execution of a node came to, after checking the shape of what `run` returned. */
export type Outcome =
  | { kind: 'next'; outputs: string[]; output: JsonValue | null }
  | { kind: 'wait-time'; until: Date; output: JsonValue | null }
  | { kind: 'wait-event'; event: string; filter: JsonValue | null; timeoutAt: Date; output: JsonValue | null }
  | { kind: 'error'; retryable: boolean; error: { message: string; code?: string } };

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_ATTEMPTS = 5;

function errorOutcome(error: unknown): Outcome {
  const e = error as { message?: unknown; code?: unknown } | null;
  const message = typeof e?.message === 'string' && e.message ? e.message : String(error);
  const code = typeof e?.code === 'string' ? e.code : undefined;
  return { kind: 'error', retryable: isRetryable(error), error: code ? { message, code } : { message } };
}

const bad = (message: string): Outcome => ({
  kind: 'error',
  retryable: false,
  error: { message: `the node returned an invalid result: ${message}`, code: 'invalid_result' },
});

function jsonOutput(value: unknown): JsonValue | null | undefined {
  if (value === undefined) return null;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
  } catch {
    return undefined;
  }
}

const validDate = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());

/** Checks what `run` returned: `{ next, output? }` or one of the two wait requests. */
export function toOutcome(result: unknown): Outcome {
  if (!result || typeof result !== 'object' || Array.isArray(result)) return bad('expected an object');
  const r = result as Record<string, unknown>;
  const output = jsonOutput(r.output);
  if (output === undefined) return bad('output is not JSON');
  if ('next' in r) {
    const list = Array.isArray(r.next) ? r.next : [r.next];
    if (!list.every((o) => typeof o === 'string')) return bad('next must be an output name or a list of them');
    return { kind: 'next', outputs: [...new Set(list as string[])], output };
  }
  if (r.wait && typeof r.wait === 'object') {
    const w = r.wait as Record<string, unknown>;
    if ('until' in w) {
      if (!validDate(w.until)) return bad('wait.until must be a valid Date');
      return { kind: 'wait-time', until: w.until, output };
    }
    if (typeof w.event !== 'string' || !w.event) return bad('wait.event must be an event name');
    if (!validDate(w.timeoutAt)) return bad('wait.timeoutAt must be a valid Date');
    const filter = w.filter === undefined ? null : jsonOutput(w.filter);
    if (filter === undefined) return bad('wait.filter is not JSON');
    return { kind: 'wait-event', event: w.event, filter, timeoutAt: w.timeoutAt, output };
  }
  return bad('expected { next } or { wait }');
}

/**
 * Runs a node once under its time limit. Never throws: a thrown error, a timeout and a
 * malformed result all become an `error` outcome (timeouts retryable, malformed results not).
 */
export async function invokeNode(
  definition: AnyNodeDefinition,
  buildContext: (signal: AbortSignal) => Promise<NodeContext<never>>,
): Promise<Outcome> {
  const limit = definition.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`the step timed out after ${limit} ms`));
      resolve({
        kind: 'error',
        retryable: true,
        error: { message: `the step timed out after ${limit} ms`, code: 'timeout' },
      });
    }, limit);
  });
  const running = (async (): Promise<Outcome> => {
    try {
      const ctx = await buildContext(controller.signal);
      return toOutcome(await definition.run(ctx));
    } catch (error) {
      return errorOutcome(error);
    }
  })();
  try {
    return await Promise.race([running, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

export type { Resume };
