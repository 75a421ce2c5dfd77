import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written while a step runs carries (API.md "Logs"). */
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

// The step a piece of async work serves; read by the logger's mixin, like OpenTelemetry's
// own context. One instance for the process: the binding never changes, only what each
// async chain sees through it.
const stepScope = new AsyncLocalStorage<StepLogFields>();

/** Runs `work` as part of a step: every line logged inside it, engine or node, names the step. */
export function inStepScope<T>(fields: StepLogFields, work: () => T): T {
  return stepScope.run(fields, work);
}

/** The fields of the step being run now, if any. */
export function currentStepFields(): StepLogFields | undefined {
  return stepScope.getStore();
}
