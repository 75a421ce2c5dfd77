import { type AnyNodeDefinition, defineNode } from '@waymark/sdk';
import { describe, expect, test } from 'vitest';
import type { GraphNode } from '../../../engine/graph/types.js';
import { DEFAULT_RETRY, decide, decideTrigger } from '../../../engine/runs/kernel/decide.js';
import { compileVersion } from '../../../engine/runs/versions.js';

const step = (type: string, outputs: readonly string[], extra: Partial<AnyNodeDefinition> = {}): AnyNodeDefinition => ({
  ...defineNode({
    type,
    version: 1,
    kind: 'action',
    title: type,
    description: type,
    category: 'Test',
    params: { type: 'object', properties: { goal: { type: 'string' } }, additionalProperties: false },
    outputs: [...outputs],
    async run() {
      return { next: outputs[0] ?? [] };
    },
  }),
  ...extra,
});

const node = (id: string, type: string, params = {}): GraphNode => ({
  id,
  type,
  version: 1,
  params,
  position: { x: 0, y: 0 },
});
const edge = (source: string, sourceHandle: string, target: string) => ({
  id: `${source}-${sourceHandle}-${target}`,
  source,
  sourceHandle,
  target,
});

const version = compileVersion(
  'j',
  1,
  {
    nodes: [node('t', 't.hook'), node('c', 't.cond'), node('a', 't.act'), node('b', 't.act'), node('x', 't.exit')],
    edges: [edge('t', 'out', 'c'), edge('c', 'yes', 'a'), edge('c', 'yes', 'b'), edge('c', 'no', 'x')],
  },
  {},
);
const cond = { node: node('c', 't.cond'), definition: step('t.cond', ['yes', 'no']) };
const exit = { node: node('x', 't.exit', { goal: 'bought' }), definition: step('t.exit', [], { endsRun: true }) };
const now = new Date('2026-01-01T00:00:00Z');
const policy = { now, retry: DEFAULT_RETRY };

describe('the transition kernel', () => {
  test('completes a step towards every target of every output taken, counting each', () => {
    const t = decide(
      version,
      cond,
      { nodeId: 'c', attempts: 1 },
      { kind: 'next', outputs: ['yes'], output: 1 },
      policy,
    );
    expect(t).toMatchObject({ kind: 'complete', next: ['a', 'b'], end: null, run: { open: 1, waiting: 0 } });
    expect(t.counters).toEqual([
      { nodeId: 'c', completed: 1 },
      { nodeId: 'c', output: 'yes', taken: 1 },
      { nodeId: 'a', entered: 1 },
      { nodeId: 'b', entered: 1 },
    ]);
  });

  test('ends the run at a node declared endsRun, with the goal of its output or its param', () => {
    const t = decide(version, exit, { nodeId: 'x', attempts: 1 }, { kind: 'next', outputs: [], output: null }, policy);
    expect(t).toMatchObject({ kind: 'complete', next: [], end: { status: 'completed', goal: 'bought' } });
    const own = decide(
      version,
      exit,
      { nodeId: 'x', attempts: 1 },
      { kind: 'next', outputs: [], output: { goal: 'other' } },
      policy,
    );
    expect(own).toMatchObject({ end: { goal: 'other' } });
  });

  test('fails a step that names an output its node does not have', () => {
    const t = decide(
      version,
      cond,
      { nodeId: 'c', attempts: 1 },
      { kind: 'next', outputs: ['maybe'], output: null },
      policy,
    );
    expect(t).toMatchObject({
      kind: 'fail',
      error: { code: 'node.invalid-result', attempts: 1, retryable: false },
      end: { status: 'failed' },
    });
    expect(t.counters).toEqual([{ nodeId: 'c', failed: 1 }]);
  });

  test('parks a time wait and an event wait with its deadline', () => {
    const until = new Date('2026-01-02T00:00:00Z');
    expect(
      decide(version, cond, { nodeId: 'c', attempts: 1 }, { kind: 'wait-time', until, output: null }, policy),
    ).toMatchObject({ kind: 'park', waitsFor: 'time', wakeAt: until, wait: null, run: { open: 0, waiting: 1 } });
    expect(
      decide(
        version,
        cond,
        { nodeId: 'c', attempts: 1 },
        { kind: 'wait-event', event: 'clicked', filter: null, timeoutAt: until, output: null },
        policy,
      ),
    ).toMatchObject({ kind: 'park', waitsFor: 'event', wakeAt: until, wait: { event: 'clicked', filter: null } });
  });

  test('parks a held time wait (a send waiting for its turn) without counting it as waiting', () => {
    const until = new Date('2026-01-02T00:00:00Z');
    const held = { kind: 'wait-time' as const, until, output: null, held: true };
    expect(decide(version, cond, { nodeId: 'c', attempts: 1 }, held, policy)).toMatchObject({
      kind: 'park',
      wakeAt: until,
      counters: [],
      run: { open: 0, waiting: 0 },
    });
  });

  test('retries a retryable error with a doubling backoff, then fails it at the last attempt', () => {
    const error = { kind: 'error' as const, retryable: true, error: { message: 'busy', code: 'tst.busy' } };
    expect(decide(version, cond, { nodeId: 'c', attempts: 1 }, error, policy)).toMatchObject({
      kind: 'retry',
      delayMs: 1000,
      at: new Date(now.getTime() + 1000),
    });
    expect(decide(version, cond, { nodeId: 'c', attempts: 3 }, error, policy)).toMatchObject({ delayMs: 4000 });
    expect(decide(version, cond, { nodeId: 'c', attempts: 5 }, error, policy)).toMatchObject({ kind: 'fail' });
    const final = { ...error, retryable: false };
    expect(decide(version, cond, { nodeId: 'c', attempts: 1 }, final, policy)).toMatchObject({ kind: 'fail' });
  });

  test('fails a step whose node is gone or whose type is not installed', () => {
    const next = { kind: 'next' as const, outputs: ['yes'], output: null };
    expect(decide(version, null, { nodeId: 'zz', attempts: 1 }, next, policy)).toMatchObject({
      kind: 'fail',
      error: { code: 'step.node-missing' },
    });
    expect(
      decide(version, { node: cond.node, definition: null }, { nodeId: 'c', attempts: 1 }, next, policy),
    ).toMatchObject({
      kind: 'fail',
      error: { code: 'step.package-missing' },
    });
  });

  test('a trigger enters the run and opens one token per first step', () => {
    expect(decideTrigger(version, 't', 'out')).toMatchObject({
      kind: 'complete',
      next: ['c'],
      run: { open: 0, waiting: 0 },
      counters: [
        { nodeId: 't', entered: 1, completed: 1 },
        { nodeId: 't', output: 'out', taken: 1 },
        { nodeId: 'c', entered: 1 },
      ],
    });
  });
});
