import {
  defineNode,
  type JsonObject,
  NodeError,
  parseDuration,
  RetryableError,
  redactUrl,
  retryAfterMs,
} from '@waymark/sdk';

/** Attempts in all by default (`settings.retry.attempts` overrides). */
const MAX_ATTEMPTS = 5;

/**
 * The longest `timeout`: the step itself has a minute (`timeoutMs`), and the answer must still
 * be read and handed on within it.
 */
const MAX_TIMEOUT_MS = 55_000;

/** The largest answer body passed on (NODES.md: "capped at 1 MiB"). */
const MAX_BODY_BYTES = 1024 * 1024;

/** Redirects followed with `followRedirects` (fetch follows 20; an API that needs 5 is lost). */
const MAX_REDIRECTS = 5;

/** 408, 429 and 5xx may pass later; any other 4xx will not. */
function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Calls an HTTP endpoint; `ok` on 2xx/3xx. Any other answer fails the step with the code
 * `http.status-NNN` (retried under the node's policy for 408, 429 and 5xx), and its answer
 * kept for the `error` output. A body over 1 MiB is never passed on cut: its `body` is null,
 * and a 2xx/3xx answer with one fails with `http.response-too-large`, not retried.
 *
 * Redirects are followed (`followRedirects`, default true), at most 5, each hop held to the
 * private-address rule and all within the one `timeout`; the output is the last answer's, with
 * the `url` that gave it. A sixth fails with `http.too-many-redirects`, not retried. With
 * `followRedirects: false` a 3xx is the answer and takes `ok`.
 */
export default defineNode({
  type: 'http.request',
  version: 1,
  kind: 'action',
  category: 'Integrations',
  summary: '{{ method }} {{ url }}',
  title: 'HTTP request',
  description: 'Calls an HTTP endpoint and passes its answer on.',
  maxAttempts: MAX_ATTEMPTS,
  timeoutMs: 60_000,
  skippedInTestRuns: { next: 'ok', output: { skipped: true } },
  params: {
    type: 'object',
    properties: {
      method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'], default: 'POST', title: 'Method' },
      // Each value written after the URL's start is one URL component (url-kind.ts).
      url: { type: 'string', format: 'template', contentMediaType: 'text/uri-list', minLength: 1, title: 'URL' },
      headers: {
        type: 'object',
        title: 'Headers',
        // A name is an HTTP token (RFC 9110): anything else could never be sent.
        propertyNames: {
          pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
          description: "an HTTP token (letters, digits and !#$%&'*+-.^_`|~; no spaces or colons)",
        },
        additionalProperties: { type: 'string', format: 'template' },
      },
      // JSON unless the headers name another content type (the client's default is JSON too):
      // then every output is escaped for its place and the body is valid JSON whatever the values.
      body: {
        type: 'string',
        format: 'template',
        contentMediaType: 'application/json',
        contentTypeFrom: 'headers',
        title: 'Body',
      },
      timeout: { type: 'string', format: 'duration', default: 'PT10S', title: 'Timeout' },
      followRedirects: {
        type: 'boolean',
        default: true,
        title: 'Follow redirects',
        description: `follow up to ${MAX_REDIRECTS} redirects as a browser does; off, a 3xx answer takes ok as it is`,
      },
    },
    required: ['method', 'url'],
    additionalProperties: false,
  },
  // One of zero timed every request out before it was sent. A longer one than the step's
  // minute allows is taken, and waits MAX_TIMEOUT_MS (NODES.md sets no bound to refuse it by).
  validate(params) {
    const ms = params.timeout === undefined ? null : parseDuration(params.timeout);
    return ms === 0
      ? [{ path: '/timeout', message: `the timeout must be longer than zero (got "${params.timeout}")` }]
      : [];
  },
  // The engine adds the `error` output: a failure takes it under `onError: "output"`.
  outputs: ['ok'],
  // It sends what its templates render, and they name what they read of the run.
  readsContact: false,
  readsSteps: false,
  async run(ctx) {
    const { method, url, headers, body, timeout, followRedirects } = ctx.params;
    const timeoutMs = Math.min(parseDuration(timeout ?? 'PT10S') ?? 10_000, MAX_TIMEOUT_MS);
    // Connection errors, timeouts and refused addresses carry their own codes (engine/http).
    const res = await ctx.http.request({
      method,
      url,
      headers: headers ?? {},
      ...(body !== undefined ? { body } : {}),
      timeoutMs,
      maxBytes: MAX_BODY_BYTES,
      maxRedirects: followRedirects === false ? 0 : MAX_REDIRECTS,
    });
    const output: JsonObject = {
      status: res.status,
      headers: res.headers,
      body: res.truncated ? null : res.body,
      // Where the answer came from, when a redirect led there.
      ...(res.url !== undefined ? { url: res.url } : {}),
    };
    const called = res.url === undefined ? redactUrl(url) : `${redactUrl(url)} (redirected to ${redactUrl(res.url)})`;
    if (res.status < 400 && res.truncated)
      // The same answer would come again: not retried.
      throw new NodeError(
        `${method} ${called} answered a body larger than 1 MiB (${MAX_BODY_BYTES} bytes), the most http.request reads`,
        { code: 'http.response-too-large', output },
      );
    if (res.status < 400) return { next: 'ok', output };
    const message = `${method} ${called} answered ${res.status}`;
    const code = `http.status-${res.status}`;
    if (!isRetryableStatus(res.status)) throw new NodeError(message, { code, output });
    const delay = res.status === 429 || res.status === 503 ? retryAfterMs(res.headers) : undefined;
    throw new RetryableError(message, { code, output, ...(delay !== undefined ? { retryAfterMs: delay } : {}) });
  },
});
