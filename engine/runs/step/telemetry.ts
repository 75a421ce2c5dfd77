import { type Context, context, isSpanContextValid, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Metrics, StepStatus } from '../../observability/metrics.js';
import { stepLogFields } from '../../observability/step-log-fields.js';
import { contextFromCarrier, tracer } from '../../observability/trace-context.js';
import type { Transition } from '../kernel/decide.js';
import type { RunRow, StepRef } from '../node/context.js';

/** One step execution being observed: its span, what its log fields are made of, when it started. */
export interface StepProbe {
  span: Span;
  context: Context;
  run: RunRow;
  step: StepRef;
  nodeType: string;
  startedAt: bigint;
  status: StepStatus;
}

/**
 * The status `waymark_steps_total` and the step span give a transition. A step that failed for
 * good is `failed` even when `onError` sent its token on: the run view and the journey stats
 * show it failed (contracts/failures.md), and the metrics say what they say.
 */
export function stepStatusOf(transition: Transition): StepStatus {
  if (transition.kind === 'complete') return transition.error ? 'failed' : 'completed';
  if (transition.kind === 'park') return 'waiting';
  return transition.kind === 'retry' ? 'retry' : 'failed';
}

/**
 * Spans, metrics and log fields of the steps of one batch (API.md "Metrics", "Tracing",
 * "Logs"). Each step execution, inline ones included, gets a `waymark.step <type>` span whose
 * parent is the span that started its run (stored with the run); its node runs inside that
 * span and the step's log scope. Spans end, counters count and durations are observed once
 * the batch is committed: a step's duration runs from its start to its commit.
 */
export class BatchTelemetry {
  private readonly probes: StepProbe[] = [];

  constructor(
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    /** The run's stored trace context (`runs.trace_context`), by run id. */
    private readonly carriers: ReadonlyMap<string, unknown>,
  ) {}

  /** Starts observing one execution of `step` (node `nodeType`) of `run`. */
  begin(run: RunRow, step: StepRef, nodeType: string): StepProbe {
    const parent = contextFromCarrier(this.carriers.get(run.id));
    const span = tracer().startSpan(
      `waymark.step ${nodeType}`,
      {
        attributes: {
          'waymark.run.id': run.id,
          'waymark.step.id': step.id,
          'waymark.journey.id': run.journeyId,
          'waymark.journey.version': run.version,
          'waymark.node.id': step.nodeId,
          'waymark.node.type': nodeType,
          'waymark.step.attempt': step.attempts,
        },
      },
      parent,
    );
    const probe: StepProbe = {
      span,
      // A span with nothing to carry (tracing off) leaves the context as it was: no copy a step.
      context: isSpanContextValid(span.spanContext()) ? trace.setSpan(parent, span) : parent,
      run,
      step,
      nodeType,
      startedAt: process.hrtime.bigint(),
      status: 'failed',
    };
    this.probes.push(probe);
    return probe;
  }

  /** Runs `work` (the node) inside the step's span (its `ctx.log` is bound to the step's fields). */
  within<T>(probe: StepProbe, work: () => Promise<T>): Promise<T> {
    return context.with(probe.context, work);
  }

  /** Records what the kernel decided for the step. */
  settle(probe: StepProbe, transition: Transition): void {
    probe.status = stepStatusOf(transition);
    probe.span.setAttribute('waymark.step.status', probe.status);
    if (transition.kind === 'complete') probe.span.setAttribute('waymark.step.output', transition.outputs);
    const failure = transition.kind === 'park' ? undefined : transition.error;
    if (failure) {
      const error = Object.assign(new Error(failure.message), { name: failure.code ?? 'Error' });
      probe.span.recordException(error);
      if (probe.status === 'failed') probe.span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
  }

  /** After the batch's write committed (or failed: then the steps run again and count then). */
  finish(committed: boolean): void {
    const now = process.hrtime.bigint();
    const debug = this.logger.isLevelEnabled('debug');
    // Counted once per (node type, status) and observed through one labelled child per type:
    // prom-client hashes the labels at every call.
    const counts = new Map<string, { nodeType: string; status: StepStatus; n: number }>();
    const durations = new Map<string, { observe(value: number): void }>();
    for (const probe of this.probes) {
      const { nodeType, status } = probe;
      if (committed) {
        const seconds = Number(now - probe.startedAt) / 1e9;
        const key = `${nodeType}\n${status}`;
        const count = counts.get(key);
        if (count) count.n++;
        else counts.set(key, { nodeType, status, n: 1 });
        let duration = durations.get(nodeType);
        if (!duration) {
          duration = this.metrics.stepDuration.labels({ node_type: nodeType });
          durations.set(nodeType, duration);
        }
        duration.observe(seconds);
        if (debug)
          this.logger.debug(
            {
              ...stepLogFields(probe.run, { id: probe.step.id, nodeId: probe.step.nodeId, nodeType }, probe.span),
              status,
              durationMs: Math.round(seconds * 1000),
            },
            'step finished',
          );
      } else {
        probe.span.setStatus({ code: SpanStatusCode.ERROR, message: 'the batch could not be written' });
      }
      probe.span.end();
    }
    for (const { nodeType, status, n } of counts.values()) this.metrics.steps.inc({ node_type: nodeType, status }, n);
    this.probes.length = 0;
  }
}
