import type { AnyNodeDefinition, JsonValue, Resume } from '@waymark/sdk';
import { type AssignmentKey, firstAssignments } from '../experiments/assignments.js';
import { routingDecision, settleSplit } from '../experiments/decisions.js';
import { isHoldoutPath } from '../experiments/holdout.js';
import type { GraphNode } from '../graph/types.js';
import { DEFAULT_RETRY, decide, type Transition } from '../runs/kernel/decide.js';
import { assembleNodeContext, type RunRow } from '../runs/node/context.js';
import { invokeNode } from '../runs/node/invoke.js';
import { type CompiledVersion, definitionOf, writeSourceOf } from '../runs/versions.js';
import type { Runtime } from '../runtime.js';
import type { StepScope } from '../services/step-scope.js';
import { renderOnlyServices, type Simulation } from './render-services.js';
import type { Agenda } from './simulated-clock.js';
import type { ContactWrite, TestStep } from './types.js';

/** One execution of a test-run step: the node, where its token stands, and its entry in the answer. */
export interface TestStepRun {
  runtime: Runtime;
  version: CompiledVersion;
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

/**
 * Runs the node as production would and asks the kernel what follows: a retry runs again
 * after the kernel's backoff (on the simulated clock), anything else is returned.
 */
async function attempts(step: TestStepRun, node: GraphNode, definition: AnyNodeDefinition): Promise<Transition> {
  const { runtime, run, simulation, clock, key, entry, resume } = step;
  const holdout = isHoldoutPath(step.version.nodes, step.path);
  for (let attempt = 1; ; attempt++) {
    const writes: ContactWrite[] = [];
    const at = clock.now;
    const now = () => new Date(at);
    const scope: StepScope = {
      runtime,
      db: runtime.db,
      runId: run.id,
      workspaceId: run.workspaceId,
      journeyId: run.journeyId,
      version: run.version,
      nodeId: node.id,
      contactId: run.contactId,
      source: writeSourceOf(step.version, run.triggerNodeId),
      idempotencyKey: key,
      now,
    };
    const ran = await invokeNode(definition, (signal, secrets) =>
      assembleNodeContext({
        runtime,
        run,
        step: { id: key, nodeId: node.id, parentStepId: null, attempts: attempt, resume },
        node,
        definition,
        signal,
        secrets,
        contact: simulation.contacts.current(run.contactId),
        steps: step.path,
        now,
        // The credentials it reads are kept as the step's secrets, as production keeps them.
        services: renderOnlyServices(simulation, { ...scope, secrets }, definition, writes, holdout),
      }),
    );
    // The journey's standing decision and the contact's first assignment apply as they would
    // live; nothing is assigned or counted.
    const readers = {
      decision: (j: string, n: string) => routingDecision(runtime.db, j, n),
      assignment: async (key: AssignmentKey) => (await firstAssignments(runtime.db, [key]))[0] ?? null,
    };
    const outcome = await settleSplit(readers, run, node, definition, ran);
    entry.attempts = attempt;
    if (writes.length) entry.writes = [...(entry.writes ?? []), ...writes];
    const transition = decide(step.version, { node, definition }, { nodeId: node.id, attempts: attempt }, outcome, {
      now: clock.now,
      retry: DEFAULT_RETRY,
    });
    if (transition.kind !== 'retry') return transition;
    clock.advance(transition.delayMs);
  }
}

/**
 * Executes one test-run step with the node's own code and render-only services, and returns
 * the kernel's transition for what it returned. A node `skippedInTestRuns` (`http.request`)
 * is not called unless the run is live: it takes the output it declares.
 */
export async function executeTestStep(step: TestStepRun): Promise<Transition> {
  const { node, version } = step;
  const definition = node ? definitionOf(step.runtime.registry, node, version) : null;
  const at = node ? { node, definition } : null;
  const skip = definition?.skippedInTestRuns;
  if (!node || !definition || (skip && !step.simulation.live)) {
    if (skip && definition) step.entry.attempts = 1;
    const outcome = skip
      ? { kind: 'next' as const, outputs: [skip.next], output: skip.output ?? null }
      : { kind: 'error' as const, retryable: false, error: { message: 'not run', code: 'step.node-missing' } };
    return decide(version, at, { nodeId: step.entry.nodeId, attempts: 1 }, outcome, {
      now: step.clock.now,
      retry: DEFAULT_RETRY,
    });
  }
  return attempts(step, node, definition);
}
