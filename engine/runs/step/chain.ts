import type { JsonValue } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import { loadContact } from '../../contacts/load.js';
import type { Database } from '../../db/database.js';
import { newId } from '../../db/ids.js';
import { settleSplit } from '../../experiments/decisions.js';
import type { Runtime } from '../../runtime.js';
import { decide, engineFailure, type RetryOptions } from '../kernel/decide.js';
import { contactWatcher, type StepView, seeing } from '../node/contact-view.js';
import { buildNodeContext, type KnownView, type RunRow, type StepRef } from '../node/context.js';
import { invokeNode, type Outcome } from '../node/invoke.js';
import { type CompiledVersion, definitionOf, writeSourceOf } from '../versions.js';
import type { StepWrite } from '../write/write-steps.js';
import type { StepBatch } from './step-batch.js';
import type { BatchTelemetry, StepProbe } from './telemetry.js';

/** Inline steps one token runs at most after its job's step (a longer chain goes on in a job). */
export const MAX_INLINE_DEPTH = 25;

/** One token's step, started, with what its `ctx` shows. */
export interface TokenStep {
  runtime: Runtime;
  db: Kysely<Database>;
  version: CompiledVersion | null;
  run: RunRow;
  step: StepRef;
  known: KnownView;
  retry: RetryOptions;
  /** The batch's spans, metrics and log scope. */
  telemetry: BatchTelemetry;
  /** What the batch's tokens share: set-based tag writes, split decisions read once. */
  batch: StepBatch;
  /**
   * For a step whose node called out: whether it is still running once the node answered
   * (`stillRunning`). A run ended during the call runs none of the inline nodes after it.
   */
  goesOn?: (stepId: string) => Promise<boolean>;
}

/** Whether the node `nodeId` of `version` runs inline: it does no I/O but through `ctx.contacts`. */
export function isInline(runtime: Runtime, version: CompiledVersion, nodeId: string): boolean {
  const target = version.nodes.get(nodeId);
  return target ? definitionOf(runtime.registry, target, version)?.inline === true : false;
}

/** Of `next`, the nodes that run inline (right after the step before them, in the same write). */
export function inlineNodes(runtime: Runtime, version: CompiledVersion, next: readonly string[]): string[] {
  return next.filter((id) => isInline(runtime, version, id));
}

interface Executed {
  outcome: Outcome;
  view: StepView;
  probe: StepProbe;
}

/** Runs one step's node inside its span and log scope; never throws (see `invokeNode`). */
async function execute(t: TokenStep, step: StepRef, known: KnownView): Promise<Executed> {
  const view: StepView = { contact: null, steps: {}, contactChanged: false };
  const node = t.version?.nodes.get(step.nodeId);
  const probe = t.telemetry.begin(t.run, step, node?.type ?? 'unknown');
  let definition = node ? definitionOf(t.runtime.registry, node, t.version) : null;
  if (node && !definition && t.version) {
    // A pinned package version installed by another process a moment ago: loaded here now,
    // rather than failing the run with step.package-missing (`record` looks it up again).
    await t.runtime.packages.loadPins(t.version.packages);
    definition = definitionOf(t.runtime.registry, node, t.version);
  }
  if (!node || !definition) {
    // The kernel fails such a step before looking at the outcome.
    return {
      outcome: { kind: 'error', retryable: false, error: { message: 'not run', code: 'step.node-missing' } },
      view,
      probe,
    };
  }
  const ran = await t.telemetry.within(probe, () =>
    invokeNode(definition, async (signal, secrets) =>
      seeing(
        view,
        await buildNodeContext({
          runtime: t.runtime,
          db: t.db,
          run: t.run,
          step,
          node,
          definition,
          signal,
          secrets,
          known,
          batch: t.batch,
          source: writeSourceOf(t.version, t.run.triggerNodeId),
          // After a call the run may have ended: the inline nodes' writes are decided under its lock.
          whileRunLive: t.goesOn !== undefined && step !== t.step,
          onServiceUse: contactWatcher(view),
        }),
      ),
    ),
  );
  const outcome = await settleSplit(t.batch, t.run, node, definition, ran);
  return { outcome, view, probe };
}

/**
 * Runs a token's started step and then, in memory, the inline nodes after it (conditions,
 * splits, tag writes, exits), each decided by the kernel; returns every transition for the
 * writer, new inline steps with ids of their own. An inline node that throws is left to a
 * job of its own. Nothing is written here: the caller writes the whole batch at once.
 */
export async function runToken(t: TokenStep): Promise<StepWrite[]> {
  const writes: StepWrite[] = [];
  const state = { ended: false };
  await record(t, t.step, await execute(t, t.step, t.known), 0, writes, state);
  return writes;
}

async function record(
  t: TokenStep,
  step: StepRef,
  { outcome, view, probe }: Executed,
  depth: number,
  writes: StepWrite[],
  state: { ended: boolean },
  created?: { parentStepId: string },
): Promise<void> {
  const { version, run } = t;
  const node = version?.nodes.get(step.nodeId) ?? null;
  const definition = node ? definitionOf(t.runtime.registry, node, version) : null;
  // A node of a package version pinned at publish and removed since (a failed run retried later).
  const missing = node && !definition && version ? t.runtime.registry.missingPins(version.packages) : [];
  const transition = missing.length
    ? engineFailure(step.nodeId, step.attempts, 'step.package-missing', `${missing.join(', ')} is no longer installed`)
    : version
      ? decide(version, node ? { node, definition } : null, step, outcome, {
          now: new Date(),
          retry: t.retry,
          jitter: Math.random(),
        })
      : engineFailure(
          step.nodeId,
          step.attempts,
          'step.node-missing',
          `journey ${run.journeyId} has no version ${run.version}`,
        );
  t.telemetry.settle(probe, transition);
  const inline =
    version && transition.kind === 'complete' && !transition.end && depth < MAX_INLINE_DEPTH
      ? inlineNodes(t.runtime, version, transition.next)
      : [];
  const write: StepWrite = {
    stepId: step.id,
    contactId: run.contactId,
    transition,
    inline,
    // Not spread in: a literal that adds keys after a spread is slow (engine/README.md "Hot paths").
    create: created ? { rootId: t.step.id, parentStepId: created.parentStepId, nodeId: step.nodeId } : undefined,
  };
  writes.push(write);
  if (transition.kind === 'fail' || (transition.kind === 'complete' && transition.end)) state.ended = true;
  if (transition.kind !== 'complete' || inline.length === 0 || !node) return;
  if (depth === 0 && t.goesOn && !(await t.goesOn(step.id))) {
    // Ended during the call: the writer drops the step, and no node after it may act.
    write.inline = [];
    return;
  }
  const known = await nextView(t, step, transition.output, view);
  // The writer spawns the next nodes not run here, as for any step (migrations/0050).
  const ranHere: string[] = [];
  for (const nodeId of inline) {
    // After the run ended, the steps left are spawned and cancelled with it.
    if (state.ended) break;
    const child: StepRef = { id: newId(), nodeId, parentStepId: step.id, attempts: 1, resume: null };
    const ran = await execute(t, child, known);
    if (ran.outcome.kind === 'error') {
      // Left to a job of its own (its span says it will run again).
      t.telemetry.settle(ran.probe, {
        kind: 'retry',
        error: { ...ran.outcome.error, attempts: child.attempts, retryable: true },
        delayMs: 0,
        at: new Date(),
        counters: [],
      });
      continue;
    }
    ranHere.push(nodeId);
    await record(t, child, ran, depth + 1, writes, state, { parentStepId: step.id });
  }
  write.inline = ranHere;
}

/**
 * The contact and path outputs the steps after `step` see, derived in memory from what it
 * saw (a contact changed in ways not patched in is read again).
 */
async function nextView(t: TokenStep, step: StepRef, output: JsonValue | null, view: StepView): Promise<KnownView> {
  // The trigger step keeps no copy of the payload: its output is the run's trigger.
  // Assigned, not `{ ...view.steps, [id]: … }`: a key added after a spread is slow on Node 20.
  const steps: KnownView['steps'] = Object.assign({}, view.steps);
  steps[step.nodeId] = { output: step.parentStepId === null ? t.run.trigger : output };
  const contact =
    view.contactChanged && t.run.contactId ? await loadContact(t.db, t.run.workspaceId, t.run.contactId) : view.contact;
  return { contact, steps };
}
