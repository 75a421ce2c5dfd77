import {
  defineNode,
  type HttpResponse,
  isRetryable,
  type JsonValue,
  parseDuration,
  RetryableError,
} from '@waymark/sdk';

/** Attempts before a failing request takes `error`; the engine retries up to this many times. */
const MAX_ATTEMPTS = 5;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Calls an HTTP endpoint; `ok` on 2xx/3xx, `error` on 4xx at once, on 5xx and timeouts after retries. */
export default defineNode({
  type: 'http.request',
  version: 1,
  kind: 'action',
  category: 'Integrations',
  title: 'HTTP request',
  description: 'Calls an HTTP endpoint and passes its answer on.',
  maxAttempts: MAX_ATTEMPTS,
  timeoutMs: 60_000,
  skippedInTestRuns: { next: 'ok', output: { skipped: true } },
  params: {
    type: 'object',
    properties: {
      method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'], default: 'POST', title: 'Method' },
      url: { type: 'string', format: 'template', minLength: 1, title: 'URL' },
      headers: {
        type: 'object',
        title: 'Headers',
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
    },
    required: ['method', 'url'],
    additionalProperties: false,
  },
  outputs: ['ok', 'error'],
  async run(ctx) {
    const { method, url, headers, body, timeout } = ctx.params;
    const last = ctx.attempt >= MAX_ATTEMPTS;
    let res: HttpResponse;
    try {
      const timeoutMs = Math.min(parseDuration(timeout ?? 'PT10S') ?? 10_000, 55_000);
      res = await ctx.http.request({
        method,
        url,
        headers: headers ?? {},
        ...(body !== undefined ? { body } : {}),
        timeoutMs,
      });
    } catch (error) {
      // A refused target or a bad URL will not get better: take `error` at once.
      if (isRetryable(error) && !last) throw error;
      const output: JsonValue = { error: errorMessage(error) };
      return { next: 'error', output };
    }
    const output: JsonValue = { status: res.status, headers: res.headers, body: res.body };
    if (res.status < 400) return { next: 'ok', output };
    if (res.status >= 500 && !last) throw new RetryableError(`${url} answered ${res.status}`);
    const failed: JsonValue = { ...output, error: `${url} answered ${res.status}` };
    return { next: 'error', output: failed };
  },
});
