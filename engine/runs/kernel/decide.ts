import { type AnyNodeDefinition, declaredOutputsOf, type JsonValue, outputsOf, unknownOutputs } from '@waymark/sdk';
import type { GraphNode } from '../../graph/types.js';
import type { Outcome } from '../node/invoke.js';
import { type CompiledVersion, defaultedParams, targetsOf } from '../versions.js';
import { onErrorOf, type RetryOptions, retryDelayMs, retryPolicyOf } from './policy.js';

export { DEFAULT_RETRY, type RetryOptions } from './policy.js';

/** The node a step executed, as the kernel needs it: its place in the graph and its definition. */
export interface KernelNode {
  node: GraphNode;
  /** Null when the node's type is not installed. */
  definition: AnyNodeDefinition | null;
}

/** The step being decided: its node and how many attempts it has made (this one included). */
export interface KernelStep {
  nodeId: string;
  attempts: number;
  /** The due time of a wait the step parked in before (a retried run's token): it parks until then again. */
  dueAt?: Date;
}

/** Changes to one node's counters (and one of its outputs when `output` is set). */
export interface CounterDelta {
  nodeId: string;
  output?: string;
  entered?: number;
  completed?: number;
  failed?: number;
  waiting?: number;
  taken?: number;
}

/** A failed step's error (API.md "Step errors"). */
export interface StepError {
  code: string;
  message: string;
  /** Attempts made, this one included. */
  attempts: number;
  /** Whether a later attempt could succeed. */
  retryable: boolean;
}

/**
 * What happens to a step and its run after one execution. Counters name nodes of the step's
 * journey version; `run` is the change to the run's token counts (`open` tokens, of them
 * `waiting` parked), or `end` when the run ends here.
 */
export type Transition =
  | {
      kind: 'complete';
      outputs: string[];
      output: JsonValue | null;
      /** The nodes the token goes on to, one new step each (none at an exit). */
      next: string[];
      /** Set when the node ends the run (`endsRun`): its goal becomes the run's outcome. */
      end: { status: 'completed'; goal: string | null } | null;
      /** Set when the step failed for good and `onError` sent the token on: the step is recorded failed. */
      error?: StepError;
      /** The node's own counts first, then `entered` for each of `next`, in order. */
      counters: CounterDelta[];
      run: { open: number; waiting: number };
    }
  | {
      kind: 'park';
      output: JsonValue | null;
      /** `time`: resumed at `wakeAt`; `event`: resumed by a matching event, or with `timeout` at `wakeAt`. */
      waitsFor: 'time' | 'event';
      wakeAt: Date;
      wait: { event: string; filter: JsonValue | null } | null;
      counters: CounterDelta[];
      run: { open: number; waiting: number };
    }
  | { kind: 'retry'; error: StepError; delayMs: number; at: Date; counters: CounterDelta[] }
  | {
      kind: 'fail';
      error: StepError;
      end: { status: 'failed'; goal: null };
      counters: CounterDelta[];
    };

/** A step that completed: its token goes on (or its run ends). */
export type Completion = Extract<Transition, { kind: 'complete' }>;

/** The goal an ending node records: its output's `goal`, else its `goal` param. */
export function goalOf(node: GraphNode, output: JsonValue | null): string | null {
  const goal = (output as { goal?: unknown } | null)?.goal ?? node.params?.goal;
  return typeof goal === 'string' ? goal : null;
}

/** A failure that ends the run (a step that cannot go on). */
export function fail(nodeId: string, error: StepError): Transition {
  return { kind: 'fail', error, end: { status: 'failed', goal: null }, counters: [{ nodeId, failed: 1 }] };
}

/**
 * A failure of the engine's own before the node could run: `step.node-missing` (the journey
 * version lacks the node, or the version is gone) or `step.package-missing` (no package
 * installed defines the node's type and version).
 */
export function engineFailure(nodeId: string, attempts: number, code: string, message: string): Transition {
  return fail(nodeId, { code, message, attempts, retryable: false });
}

type ErrorOutcome = Extract<Outcome, { kind: 'error' }>;

/**
 * A step that failed for good: under `onError` `output` the token takes `error` with the
 * error (and what the node kept beside it), under `continue` the node's first declared
 * output with the error; under `fail` the run fails.
 */
function failedForGood(
  version: CompiledVersion,
  node: GraphNode,
  definition: AnyNodeDefinition,
  outcome: ErrorOutcome,
  error: StepError,
): Transition {
  const mode = onErrorOf(version, node);
  if (mode === 'fail') return fail(node.id, error);
  const output =
    mode === 'output' ? 'error' : declaredOutputsOf(definition, defaultedParams(definition, node.params))[0];
  if (output === undefined) return fail(node.id, error);
  const value: JsonValue = mode === 'output' ? { ...outcome.output, error: { ...error } } : { error: { ...error } };
  const next = targetsOf(version, node.id, output);
  return {
    kind: 'complete',
    outputs: [output],
    output: value,
    next,
    end: null,
    error,
    counters: [
      { nodeId: node.id, failed: 1 },
      { nodeId: node.id, output, taken: 1 },
      ...next.map((nodeId) => ({ nodeId, entered: 1 })),
    ],
    run: { open: next.length - 1, waiting: 0 },
  };
}

/**
 * The one transition rule: what an execution's outcome does to the step, its token and its
 * run. Pure — production steps, inline chains, run starts and test runs all record what it
 * returns, so a test run shows what production does by construction.
 *
 * @example
 * decide(version, { node, definition }, { nodeId: 'cond', attempts: 1 }, { kind: 'next', outputs: ['yes'], output: null }, { now, retry })
 * // → { kind: 'complete', next: ['split'], counters: [{ nodeId: 'cond', completed: 1 }, …], run: { open: 0, waiting: 0 } }
 */
export function decide(
  version: CompiledVersion,
  at: KernelNode | null,
  step: KernelStep,
  outcome: Outcome,
  /** `jitter` in [0, 1) lengthens a backoff by up to 10 % (the caller draws it: the kernel stays pure). */
  policy: { now: Date; retry: RetryOptions; jitter?: number },
): Transition {
  const transition = decideOutcome(version, at, step, outcome, policy);
  // A step run at a trigger is an entry queued under the entry rate, released now: it enters
  // the trigger as it starts (API.md "entered counts steps started at the node"), once, with
  // the attempt that settles it; one cancelled while queued never runs and never counts.
  if (at?.definition?.kind !== 'trigger' || transition.kind === 'retry') return transition;
  return { ...transition, counters: [{ nodeId: at.node.id, entered: 1 }, ...transition.counters] };
}

function decideOutcome(
  version: CompiledVersion,
  at: KernelNode | null,
  step: KernelStep,
  outcome: Outcome,
  policy: { now: Date; retry: RetryOptions; jitter?: number },
): Transition {
  if (!at)
    return engineFailure(
      step.nodeId,
      step.attempts,
      'step.node-missing',
      `node ${step.nodeId} is not in the journey version`,
    );
  const { node, definition } = at;
  if (!definition)
    return engineFailure(
      node.id,
      step.attempts,
      'step.package-missing',
      `node type ${node.type}@${node.version} is not installed`,
    );
  switch (outcome.kind) {
    case 'next': {
      const allowed = outputsOf(definition, defaultedParams(definition, node.params));
      const unknown = outcome.outputs.filter((o) => !allowed.includes(o));
      // Goes on as a node error would: the node's `onError` decides.
      if (unknown.length) return decideOutcome(version, at, step, unknownOutputs(unknown, allowed), policy);
      const ends = definition.endsRun === true;
      const next = ends ? [] : outcome.outputs.flatMap((output) => targetsOf(version, node.id, output));
      return {
        kind: 'complete',
        outputs: outcome.outputs,
        output: outcome.output,
        next,
        end: ends ? { status: 'completed', goal: goalOf(node, outcome.output) } : null,
        counters: [
          { nodeId: node.id, completed: 1 },
          ...outcome.outputs.map((output) => ({ nodeId: node.id, output, taken: 1 })),
          ...next.map((nodeId) => ({ nodeId, entered: 1 })),
        ],
        run: { open: next.length - 1, waiting: 0 },
      };
    }
    case 'wait-time':
    case 'wait-event': {
      const isTime = outcome.kind === 'wait-time';
      // A held token (a send waiting for its turn under a rate) is still at work, not waiting:
      // neither its run nor its node counts it (contracts/sending.md "the run stays running").
      const held = isTime && outcome.held === true;
      return {
        kind: 'park',
        output: outcome.output,
        waitsFor: isTime ? 'time' : 'event',
        wakeAt: step.dueAt ?? (isTime ? outcome.until : outcome.timeoutAt),
        wait: isTime ? null : { event: outcome.event, filter: outcome.filter },
        counters: held ? [] : [{ nodeId: node.id, waiting: 1 }],
        run: { open: 0, waiting: held ? 0 : 1 },
      };
    }
    case 'error': {
      const retry = retryPolicyOf(definition, node, policy.retry);
      const error: StepError = { ...outcome.error, attempts: step.attempts, retryable: outcome.retryable };
      if (outcome.retryable && step.attempts < retry.attempts) {
        const delayMs = retryDelayMs(retry, step.attempts, outcome.retryAfterMs, policy.jitter);
        return { kind: 'retry', error, delayMs, at: new Date(policy.now.getTime() + delayMs), counters: [] };
      }
      return failedForGood(version, node, definition, outcome, error);
    }
  }
}

/** The transition of a trigger step: the run enters the journey and leaves the trigger by `output`. */
export function decideTrigger(version: CompiledVersion, triggerNodeId: string, output: string): Completion {
  const next = targetsOf(version, triggerNodeId, output);
  return {
    kind: 'complete',
    outputs: [output],
    output: null,
    next,
    end: null,
    counters: [
      { nodeId: triggerNodeId, entered: 1, completed: 1 },
      { nodeId: triggerNodeId, output, taken: 1 },
      ...next.map((nodeId) => ({ nodeId, entered: 1 })),
    ],
    // The trigger step is the run's first token; it becomes one per first step.
    run: { open: next.length - 1, waiting: 0 },
  };
}
