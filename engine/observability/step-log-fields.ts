import type { Span } from '@opentelemetry/api';

/**
 * What every log line written while a step runs carries (operations.md "Logs"): the node's
 * `ctx.log` is a child logger bound to them, and the engine's own step lines name them too.
 * They are passed, not read from an AsyncLocalStorage: on Node 20 a store that is ever entered
 * turns on promise hooks for the whole process, and a step makes about forty promises (the
 * 5-node journey's worker CPU per step fell 123 → 106 µs on average over six pairs without it).
 */
export interface StepLogFields {
  runId: string;
  stepId: string;
  journeyId: string;
  version: number;
  nodeId: string;
  nodeType: string;
  traceId?: string;
  spanId?: string;
}

/**
 * A step's fields: its run's and node's ids, and its span's when the span is recorded.
 *
 * @example
 * logger.child(stepLogFields(run, { id: step.id, nodeId: node.id, nodeType: node.type }, span));
 */
export function stepLogFields(
  run: { id: string; journeyId: string; version: number },
  step: { id: string; nodeId: string; nodeType: string },
  span: Span | undefined,
): StepLogFields {
  const traced = span?.isRecording() ? span.spanContext() : null;
  return {
    runId: run.id,
    stepId: step.id,
    journeyId: run.journeyId,
    version: run.version,
    nodeId: step.nodeId,
    nodeType: step.nodeType,
    ...(traced ? { traceId: traced.traceId, spanId: traced.spanId } : {}),
  };
}
