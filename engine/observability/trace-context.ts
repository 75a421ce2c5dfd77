import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/**
 * A trace context as W3C headers (`traceparent`, `tracestate`): how it is stored with a run
 * and read back by the process that runs its steps, however long after.
 */
export type TraceCarrier = Record<string, string>;

/**
 * The engine's tracer. Without a registered provider (tracing off) it makes non-recording
 * spans: nothing is exported and no `traceparent` is sent.
 */
export function tracer(): Tracer {
  return trace.getTracer('waymark');
}

/** The active trace context as headers, or null when there is none to carry (tracing off, no span). */
export function activeCarrier(active: Context = context.active()): TraceCarrier | null {
  const carrier: TraceCarrier = {};
  propagation.inject(active, carrier);
  return carrier.traceparent ? carrier : null;
}

/** The context a stored carrier names (the root context when there is none). */
export function contextFromCarrier(carrier: unknown): Context {
  if (!carrier || typeof carrier !== 'object') return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier as TraceCarrier);
}

/** Removes any `traceparent`/`tracestate` of a header object (whatever its case) before ours go in. */
export function withoutTraceHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower !== 'traceparent' && lower !== 'tracestate') out[name] = value;
  }
  return out;
}

/**
 * Runs `work` inside a new span, ended when `work` settles (an ERROR status if it throws).
 * `parent` null makes a root span (a trigger's own trace); else the span is its child.
 *
 * @example
 * await inSpan('waymark.trigger core.segment', null, { kind: SpanKind.INTERNAL }, () => startRuns());
 */
export async function inSpan<T>(
  name: string,
  parent: Context | null,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const span = tracer().startSpan(name, { ...options, root: parent === null }, parent ?? context.active());
  try {
    return await context.with(trace.setSpan(parent ?? context.active(), span), () => work(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
