import { type Context, context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tracer } from '../../engine/observability/trace-context.js';

/**
 * The SERVER span of each call of one route, named `<METHOD> <route>` as OpenTelemetry's HTTP
 * conventions name it, with `http.request.method`, `http.route` and `http.response.status_code`.
 * It continues a caller's valid `traceparent`, lasts from the call's arrival to its answer
 * whatever answered (the handler, validation, the error handler), and is ERROR only for a 5xx
 * answer: a caller's mistake is no fault of the server's (as `waymark.webhook`).
 *
 * @example
 * const spans = requestSpans('POST', '/api/events');
 * app.post('/api/events', { ...spans.hooks }, (request) => spans.within(request, () => handle(request)));
 */
export function requestSpans(method: string, route: string) {
  const opened = new WeakMap<FastifyRequest, { span: Span; active: Context }>();
  const open = (request: FastifyRequest) => {
    let call = opened.get(request);
    if (!call) {
      const parent = propagation.extract(context.active(), request.headers);
      const span = tracer().startSpan(
        `${method} ${route}`,
        { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'http.route': route } },
        parent,
      );
      call = { span, active: trace.setSpan(parent, span) };
      opened.set(request, call);
    }
    return call;
  };
  return {
    /** Route hooks: open the span when the call arrives, end it with the answer's status. */
    hooks: {
      onRequest: async (request: FastifyRequest) => void open(request),
      onResponse: async (request: FastifyRequest, reply: FastifyReply) => {
        const { span } = open(request);
        span.setAttribute('http.response.status_code', reply.statusCode);
        if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      },
    },
    /** Runs `work` in the call's span: the runs it starts are the span's children. */
    within: <T>(request: FastifyRequest, work: () => T): T => context.with(open(request).active, work),
  };
}
