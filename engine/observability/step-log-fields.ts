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
