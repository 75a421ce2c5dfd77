import {
  type AnyNodeDefinition,
  jsonOutput,
  type NodeContext,
  NodeError,
  type Outcome,
  type Resume,
  RetryableError,
  toOutcome,
  WaymarkError,
} from '@waymark/sdk';
import { StepSecrets } from '../../credentials/step-secrets.js';

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

export type { Outcome, Resume };
