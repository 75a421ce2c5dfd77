import { type AnyNodeDefinition, type JsonValue, outputsOf, type Resume } from '@waymark/sdk';
import type { GraphNode } from '../graph/types.js';
import { assembleNodeContext, type RunRow } from '../runs/context.js';
import { DEFAULT_MAX_ATTEMPTS, invokeNode, type Outcome } from '../runs/invoke.js';
import { definitionOf, paramsWithDefaults } from '../runs/versions.js';
import type { Runtime } from '../runtime.js';
import type { StepScope } from '../services/step-scope.js';
import { renderOnlyServices, type Simulation } from './render-services.js';
import { type Agenda, retryDelayMs } from './simulated-clock.js';
import type { ContactWrite, TestStep } from './types.js';

/** One execution of a test-run step: the node, where its token stands, and its entry in the answer. */
export interface TestStepRun {
  runtime: Runtime;
  run: RunRow;
  simulation: Simulation;
  clock: Agenda<unknown>;
  /** The step's id: its idempotency key, the same across retries and resumes. */
  key: string;
  node: GraphNode | undefined;
  entry: TestStep;
  path: Record<string, { output: JsonValue }>;
  resume: Resume | null;
}

export const failure = (message: string, code: string): Outcome => ({
  kind: 'error',
  retryable: false,
  error: { message, code },
});

/** Runs the node as production would: retryable failures again after the backoff (simulated). */
async function attempts(step: TestStepRun, node: GraphNode, definition: AnyNodeDefinition): Promise<Outcome> {
  const { runtime, run, simulation, clock, key, entry, resume } = step;
  const max = definition.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    const writes: ContactWrite[] = [];
    const at = clock.now;
    const now = () => new Date(at);
    const scope: StepScope = {
      runtime,
      db: runtime.db,
      runId: run.id,
      journeyId: run.journeyId,
      version: run.version,
      nodeId: node.id,
      contactId: run.contactId,
      idempotencyKey: key,
      now,
    };
    const outcome = await invokeNode(definition, (signal) =>
      assembleNodeContext({
        runtime,
        run,
        step: { id: key, nodeId: node.id, parentStepId: null, attempts: attempt, resume },
        node,
        definition,
        signal,
        contact: simulation.contacts.current(run.contactId),
        steps: step.path,
        now,
        services: renderOnlyServices(simulation, scope, definition, writes),
      }),
    );
    entry.attempts = attempt;
    if (writes.length) entry.writes = [...(entry.writes ?? []), ...writes];
    if (outcome.kind !== 'error' || !outcome.retryable || attempt >= max) return outcome;
    clock.advance(retryDelayMs(attempt));
  }
}

/**
 * Executes one test-run step with the node's own code and render-only services, and checks
 * what it returned as production does. `http.request` is not called unless the run is live:
 * it takes `ok` with `{ "skipped": true }`.
 */
export async function executeTestStep(step: TestStepRun): Promise<Outcome> {
  const { node } = step;
  if (!node) return failure(`node ${step.entry.nodeId} is not in the journey`, 'unknown_node');
  const definition = definitionOf(step.runtime.registry, node);
  if (!definition) return failure(`node type ${node.type}@${node.version} is not installed`, 'unknown_node_type');
  if (node.type === 'http.request' && !step.simulation.live) {
    step.entry.attempts = 1;
    return { kind: 'next', outputs: ['ok'], output: { skipped: true } };
  }
  const outcome = await attempts(step, node, definition);
  if (outcome.kind !== 'next') return outcome;
  const allowed = outputsOf(definition, paramsWithDefaults(definition, node.params));
  const unknown = outcome.outputs.filter((o) => !allowed.includes(o));
  return unknown.length
    ? failure(`the node returned unknown output(s) ${unknown.join(', ')}`, 'invalid_result')
    : outcome;
}
