import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation, trace } from '@opentelemetry/api';
import { otlpProtocol, tracingRequested } from '../config/tracing-settings.js';
import type { ProcessIdentity } from './identity.js';

type Env = Record<string, string | undefined>;

/**
 * How long a shutdown waits for the spans still queued to go out. A collector that does not
 * answer loses them then, and holds no SIGTERM for the exporter's own timeout (10 s).
 */
export const SHUTDOWN_FLUSH_MS = 2_000;

/** Tracing set up in this process: flush and stop it on shutdown. */
export interface Tracing {
  /** Sends the spans still queued (tests; shutdown does it too). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

async function exporterFor(env: Env) {
  if (otlpProtocol(env) === 'http/json')
    return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
}

/**
 * Starts exporting spans by OTLP over HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`)
 * is set; otherwise does nothing and returns null, and the engine's spans stay no-ops (the SDK
 * and its exporters, about a second of imports, are loaded only when asked for). The
 * exporter, sampler and batch processor read the standard `OTEL_*` variables themselves. Spans
 * go out in batches from a bounded queue: a collector that is down or slow drops them, never
 * delays a request or a step.
 *
 * @example
 * const tracing = await startTracing(processIdentity('worker'), '0.1.0');
 * // … on shutdown:
 * await tracing?.shutdown();
 */
export async function startTracing(
  identity: ProcessIdentity,
  version: string,
  env: Env = process.env,
): Promise<Tracing | null> {
  if (!tracingRequested(env)) return null;
  const [
    { defaultResource, detectResources, envDetector, resourceFromAttributes },
    { BatchSpanProcessor, NodeTracerProvider },
  ] = await Promise.all([import('@opentelemetry/resources'), import('@opentelemetry/sdk-trace-node')]);
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'waymark', 'service.version': version }))
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ 'service.instance.id': identity.process, 'waymark.role': identity.role }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(await exporterFor(env))],
  });
  // The async-hooks context manager and the W3C trace-context propagator.
  provider.register();
  return {
    flush: () => provider.forceFlush(),
    async shutdown() {
      await Promise.race([
        provider.shutdown().catch(() => undefined),
        sleep(SHUTDOWN_FLUSH_MS, undefined, { ref: false }),
      ]);
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
