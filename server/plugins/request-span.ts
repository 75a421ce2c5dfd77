import {
  type Attributes,
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tracer } from '../../engine/observability/trace-context.js';

/** The spans of one route's calls: its route hooks, and the span of a call being answered. */
export interface RequestSpans {
  /** Route hooks: open the span when the call arrives, end it with the answer's status. */
  hooks: {
    onRequest: (request: FastifyRequest) => Promise<void>;
    onResponse: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  };
  /** Runs `work` in the call's span: the runs it starts are the span's children. */
  within: <T>(request: FastifyRequest, work: () => T) => T;
  /** The call's span, to add what answering it learnt (a run's id). */
  span: (request: FastifyRequest) => Span;
}

/**
 * The one way a call of a route gets its SERVER span (`waymark.webhook`, `POST /api/events`):
 * named `name`, with `attributes(request)` as the call arrives. It continues a caller's valid
 * `traceparent` (anything else starts a new trace), lasts from the call's arrival to its answer
 * whatever answered (the handler, validation, the error handler, a hook before the route's:
 * then it starts when the call arrived, from the reply's elapsed time), ends with
 * `http.response.status_code`, and is ERROR only for a 5xx answer: a caller's mistake is no
 * fault of the server's.
 *
 * @example
 * const spans = requestSpans('waymark.webhook', (request) => ({ 'waymark.node.id': nodeIdOf(request) }));
 * app.post('/hooks/:journeyId/:nodeId', { ...spans.hooks }, (request) => spans.within(request, () => handle(request)));
 */
export function requestSpans(name: string, attributes: (request: FastifyRequest) => Attributes): RequestSpans {
  const opened = new WeakMap<FastifyRequest, { span: Span; active: Context }>();
  const open = (request: FastifyRequest, startTime?: number) => {
    let call = opened.get(request);
    if (!call) {
      const parent = propagation.extract(context.active(), request.headers);
      const span = tracer().startSpan(
        name,
        { kind: SpanKind.SERVER, attributes: attributes(request), ...(startTime === undefined ? {} : { startTime }) },
        parent,
      );
      call = { span, active: trace.setSpan(parent, span) };
      opened.set(request, call);
    }
    return call;
  };
  return {
    hooks: {
      onRequest: async (request) => void open(request),
      onResponse: async (request, reply) => {
        const { span } = open(request, Date.now() - reply.elapsedTime);
        span.setAttribute('http.response.status_code', reply.statusCode);
        if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      },
    },
    within: (request, work) => context.with(open(request).active, work),
    span: (request) => open(request).span,
  };
}

/**
 * The spans of a route named as OpenTelemetry's HTTP conventions name them: `<METHOD> <route>`
 * with `http.request.method` and `http.route`.
 *
 * @example
 * const spans = routeSpans('POST', '/api/events');
 */
export function routeSpans(method: string, route: string): RequestSpans {
  return requestSpans(`${method} ${route}`, () => ({ 'http.request.method': method, 'http.route': route }));
}
