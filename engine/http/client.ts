import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { context, isSpanContextValid, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  type JsonValue,
  NodeError,
  RetryableError,
  redactUrl,
} from '@waymark/sdk';
import { storableJson } from '../db/storable-text.js';
import { tracer, withoutTraceHeaders } from '../observability/trace-context.js';
import { parseJsonText } from '../sdk/src/json-text.js';
import type { StepScope } from '../services/step-scope.js';
import { type Deadline, deadlineIn, remainingMs, timedOut } from './deadline.js';
import { type Hop, nextHop, redirectTarget } from './redirects.js';
import { resolveTarget } from './ssrf.js';

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BYTES = 1024 * 1024;

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new NodeError(`"${redactUrl(text)}" is not a URL`, { code: 'http.invalid-url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new NodeError(`refused: ${url.protocol} URLs are not allowed`, { code: 'http.invalid-url' });
  return url;
}

/** What of a header value cannot be sent: a line break, another control character, or beyond Latin-1. */
function unsendable(value: string): string {
  if (/[\r\n]/.test(value)) return 'a line break, which a header may not';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return 'a control character, which a header may not';
  return 'a character beyond Latin-1, which a header may not (encode it, e.g. with url_encode)';
}

const invalidHeader = (message: string) => new NodeError(message, { code: 'http.invalid-header' });

/**
 * Refuses headers that cannot go out. A CR or LF in a value, which a template can render from a
 * contact's attribute, would otherwise fail inside Node as a bare TypeError (retried as
 * unexpected) — and is what a header injection is made of: refused for good, naming the header.
 */
function checkHeaders(headers: Readonly<Record<string, string>> = {}): void {
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string' && typeof value !== 'number')
      throw invalidHeader(`the header "${name}" is ${value === null ? 'null' : typeof value}, not a string`);
    try {
      http.validateHeaderName(name);
    } catch {
      throw invalidHeader(`the header name "${name}" is not a valid HTTP token`);
    }
    try {
      http.validateHeaderValue(name, value);
    } catch {
      throw invalidHeader(`the header "${name}" holds ${unsendable(String(value))}`);
    }
  }
}

/**
 * A body as JSON when it says so (and parses, a leading byte order mark ignored), else as
 * text; a cut body is never parsed. It is
 * stored as the step's output, so a NUL or a lone surrogate (`\u0000`, `\ud800` in JSON) is read
 * as U+FFFD and JSON nested too deep is passed on as its text: as they came, the output could
 * not be written, and the step was run again and again, calling the endpoint each time.
 */
function decodeBody(raw: Buffer, contentType: string | undefined, truncated: boolean): JsonValue {
  const text = raw.toString('utf8').replaceAll('\0', '\uFFFD');
  if (!truncated && contentType && /[/+]json\b/i.test(contentType) && text.trim()) {
    try {
      return storableJson(parseJsonText(text) as JsonValue) ?? text;
    } catch {
      return text;
    }
  }
  return text;
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** What every hop of one request shares: its one timeout and the most of a body read. */
interface Limits {
  deadline: Deadline;
  maxBytes: number;
}

/**
 * One request to the address already checked: the socket connects there whatever DNS says
 * now (no rebinding), while Host and TLS SNI keep the URL's name. It has what is left of the
 * deadline, not a timeout of its own.
 */
function send(hop: Hop, address: { address: string; family: 4 | 6 }, { deadline, maxBytes }: Limits) {
  const { url, method, headers, body } = hop;
  const pinned: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) callback(null, [address]);
    else callback(null, address.address, address.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = client.request(url, { method, headers, lookup: pinned }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      let done = false;
      res.on('data', (chunk: Buffer) => {
        if (done) return;
        chunks.push(chunk.subarray(0, maxBytes - size));
        size += chunk.length;
        // Past the cap the rest is not read: the body keeps its first maxBytes, and says it was cut.
        if (size > maxBytes) {
          truncated = true;
          res.destroy();
          finish();
        }
      });
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: flatHeaders(res.headers),
          body: decodeBody(Buffer.concat(chunks), res.headers['content-type'], truncated),
          ...(truncated ? { truncated: true as const } : {}),
        });
      };
      res.on('end', finish);
      res.on('error', (error) =>
        done
          ? undefined
          : reject(new RetryableError(`reading the answer failed: ${error.message}`, { code: 'http.connection' })),
      );
    });
    const timer = setTimeout(
      () => req.destroy(timedOut(`${url.host} did not answer`, deadline)),
      remainingMs(deadline),
    );
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(
        error instanceof RetryableError
          ? error
          : new RetryableError(`${url.host}: ${error.message}`, { cause: error, code: 'http.connection' }),
      );
    });
    if (body !== undefined && !['GET', 'HEAD'].includes(method)) req.end(body);
    else req.end();
  });
}

// How a body is framed on the wire: the client's to say, from the body it sends.
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding']);

/**
 * The headers less any that frame the body. A Content-Length given beside a body a template
 * rendered longer cut it, and its rest reached the endpoint as a second request on the
 * kept-alive connection; one given without a body left the endpoint waiting until the timeout.
 */
function withoutFraming(headers: Readonly<Record<string, string>> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !FRAMING_HEADERS.has(name.toLowerCase())));
}

/**
 * The URL a request really goes to: the same, unless a test gave the runtime a stand-in for
 * its origin (`httpStandIns`, never set from the environment).
 */
function routed(url: URL, standIns: Readonly<Record<string, string>>): URL {
  const standIn = standIns[url.origin];
  return standIn ? new URL(`${standIn}${url.pathname}${url.search}`) : url;
}

/** The request's first hop: its headers less framing, with Waymark's and the step's key. */
function firstHop(request: HttpRequest, idempotencyKey: string | undefined): Hop {
  const headers: Record<string, string> = {
    'user-agent': 'Waymark',
    ...withoutFraming(request.headers),
    ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
  };
  if (request.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  const hop = { url: parseUrl(request.url), method: request.method.toUpperCase(), headers };
  return request.body === undefined ? hop : { ...hop, body: request.body };
}

type Runtime = StepScope['runtime'];

/**
 * One hop, checked as the first request is: its host resolved within the deadline and refused
 * when private (a redirect's refusal names the URL that redirected there), then sent as its
 * own CLIENT span.
 */
async function callHop(hop: Hop, runtime: Runtime, limits: Limits, redirectedBy: URL | null): Promise<HttpResponse> {
  const url = routed(hop.url, runtime.httpStandIns);
  // A stand-in is a test's own server standing for a public origin: its loopback address is
  // the public one's, not the private-address rule's to refuse.
  const allowPrivate = runtime.config.httpAllowPrivate || url !== hop.url;
  const address = await resolveTarget(url, allowPrivate, limits.deadline).catch((error: unknown) => {
    if (!redirectedBy || !(error instanceof NodeError) || error.retryable) throw error;
    throw new NodeError(`${error.message}; ${redactUrl(redirectedBy.href)} redirected there`, {
      cause: error,
      code: error.stepCode,
    });
  });
  return traced(url, hop.method, hop.headers, (sent) => send({ ...hop, url, headers: sent }, address, limits));
}

/**
 * `ctx.http`: outgoing HTTP that refuses private targets after DNS resolution. (Channels part.)
 * A step's requests carry its idempotency key; a webhook's checks (a signing certificate) have none.
 * With `maxRedirects`, a redirect is followed as fetch follows it (redirects.ts), each hop
 * checked as the first, all within the one timeout; the answer then names its `url`.
 */
export function createHttpClient(scope: Pick<StepScope, 'runtime'> & { idempotencyKey?: string }): HttpClient {
  return {
    async request(request) {
      checkHeaders(request.headers);
      const limits: Limits = {
        deadline: deadlineIn(request.timeoutMs ?? DEFAULT_TIMEOUT_MS),
        maxBytes: request.maxBytes ?? DEFAULT_MAX_BYTES,
      };
      const maxRedirects = request.maxRedirects ?? 0;
      let hop = firstHop(request, scope.idempotencyKey);
      let redirectedBy: URL | null = null;
      for (let followed = 0; ; followed++) {
        const answer = await callHop(hop, scope.runtime, limits, redirectedBy);
        const to = maxRedirects > 0 ? redirectTarget(answer, hop.url) : null;
        if (!to) return followed > 0 ? { ...answer, url: hop.url.href } : answer;
        if (followed === maxRedirects)
          throw new NodeError(
            `too many redirects (${maxRedirects}): ${redactUrl(request.url)} still redirected after ${maxRedirects}`,
            { code: 'http.too-many-redirects' },
          );
        redirectedBy = hop.url;
        hop = nextHop(hop, answer.status, to);
      }
    },
  };
}

/**
 * One request as a CLIENT span of the step's span (API.md "Tracing"): the request carries a
 * `traceparent` naming that span, replacing any the node set, sampled or not. With tracing off
 * the span is a no-op and the headers go out as given.
 */
async function traced(
  url: URL,
  method: string,
  headers: Record<string, string>,
  request: (headers: Record<string, string>) => Promise<HttpResponse>,
): Promise<HttpResponse> {
  const span = tracer().startSpan(method, {
    kind: SpanKind.CLIENT,
    attributes: {
      'http.request.method': method,
      'url.full': `${url.origin}${url.pathname}`,
      'server.address': url.hostname,
      'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
    },
  });
  // Tracing off: no trace to carry. A trace not sampled still names this request's span (its
  // flags say not sampled), so the node's own header never stands in for it.
  if (!isSpanContextValid(span.spanContext())) return request(headers);
  const sent = withoutTraceHeaders(headers);
  propagation.inject(trace.setSpan(context.active(), span), sent);
  try {
    const response = await request(sent);
    span.setAttribute('http.response.status_code', response.status);
    if (response.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
    return response;
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
