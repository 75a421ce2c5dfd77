/** One problem found in a request, a graph or a filter. `path` is a JSON pointer. */
export interface ErrorDetail {
  path?: string;
  nodeId?: string;
  edgeId?: string;
  message: string;
}

/**
 * Every error Waymark raises on purpose: a stable `code`, a message for people, and the
 * details that name what is wrong. The server maps codes to HTTP statuses in one table.
 *
 * @example
 * throw new WaymarkError('validation_failed', 'email is not an email address', [{ path: '/email', message: 'invalid email' }]);
 */
export class WaymarkError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request or input that fails its schema: HTTP 400 `validation_failed`. */
export class ValidationError extends WaymarkError {
  constructor(message: string, details: readonly ErrorDetail[] = [], options?: ErrorOptions) {
    super('validation_failed', message, details, options);
  }
}

/** An unknown id: HTTP 404 `not_found`. */
export class NotFoundError extends WaymarkError {
  constructor(message: string, options?: ErrorOptions) {
    super('not_found', message, [], options);
  }
}

/** A request that clashes with the current state: HTTP 409 `conflict`. */
export class ConflictError extends WaymarkError {
  constructor(message: string, options?: ErrorOptions) {
    super('conflict', message, [], options);
  }
}

/**
 * Over a rate limit: HTTP 429 `rate_limited`, with `Retry-After` set from `retryAfterSeconds`.
 *
 * @example
 * throw new RateLimitedError('too many requests from this address', 30);
 */
export class RateLimitedError extends WaymarkError {
  readonly retryAfterSeconds: number;
  constructor(what: string, retryAfterSeconds: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super('rate_limited', `${what}; retry in ${seconds} s`);
    this.retryAfterSeconds = seconds;
  }
}

/** What a node error may carry beside its message (SDK.md "Errors"). */
export interface NodeErrorOptions extends ErrorOptions {
  /** A stable, dotted code under the package's prefix (`acme.quota-exceeded`); `node.failed` when absent. */
  code?: string;
  /** JSON kept beside `error` in the step's `error` output (http.request: the last answer). */
  output?: Record<string, unknown>;
}

/**
 * Thrown by a node's `run` to fail its step with a clear message. A node error is final:
 * the step fails at once (then the node's `onError` setting decides). Throw
 * {@link RetryableError} for a failure worth retrying.
 *
 * @example
 * if (!ctx.contact?.email) throw new NodeError('the contact has no email address', { code: 'email.no-address' });
 */
export class NodeError extends WaymarkError {
  readonly retryable: boolean = false;
  /** The step error's code: the one given, else `node.failed` (a `RetryableError`'s: `node.exception`). */
  readonly stepCode: string;
  readonly output: Record<string, unknown> | undefined;
  constructor(message: string, options: NodeErrorOptions = {}) {
    super('node_failed', message, [], options.cause === undefined ? undefined : { cause: options.cause });
    this.stepCode = options.code ?? 'node.failed';
    this.output = options.output;
  }
}

/** What a retryable error may carry: `retryAfterMs` sets the delay before the next attempt. */
export interface RetryableErrorOptions extends NodeErrorOptions {
  retryAfterMs?: number;
}

/**
 * Thrown by a node's `run` when trying again later may succeed (a 5xx, a timeout, a refused
 * connection). The engine retries the step under the node's retry policy, then fails it with
 * this error kept on the step.
 *
 * @example
 * if (res.status >= 500) throw new RetryableError(`gateway answered ${res.status}`, { code: 'acme.unavailable' });
 */
export class RetryableError extends NodeError {
  override readonly retryable: boolean = true;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: RetryableErrorOptions = {}) {
    // Without a code it is `node.exception`, the engine's retried code (failures.md): `node.failed` is never retried.
    super(message, { ...options, code: options.code ?? 'node.exception' });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * True for errors that the engine should retry with backoff: a `RetryableError`, or any error
 * that is no `WaymarkError` (a `NodeError` and the services' refusals are final).
 *
 * @example
 * isRetryable(new RetryableError('Acme answered 503')) // true
 * isRetryable(new NodeError('no email address')) // false
 */
export function isRetryable(error: unknown): boolean {
  return error instanceof NodeError ? error.retryable : !(error instanceof WaymarkError);
}
