import type { JsonObject } from '@waymark/sdk';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GraphEdge, GraphNode, JourneyGraph } from '../../engine/graph/types.js';
import { validateGraph } from '../../engine/graph/validate.js';
import { loadRegistry } from '../../engine/registry/load.js';
import type { NodeRegistry } from '../../engine/registry/registry.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

// NODES.md: a `step` clause reads "an earlier step's output". A step a filter names must be a
// node from which the filter's node can be reached; any other name could never have run.

let registry: NodeRegistry;
let t: TestApp;
beforeAll(async () => {
  registry = await loadRegistry([], pino({ level: 'silent' }));
  t = await createTestApp();
});
afterAll(() => t?.close());

const at = (id: string, type: string, params: JsonObject): GraphNode => ({
  id,
  type,
  version: 1,
  params,
  position: { x: 0, y: 0 },
});
const edge = (source: string, target: string, sourceHandle = 'out'): GraphEdge => ({
  id: `${source}-${sourceHandle}-${target}`,
  source,
  sourceHandle,
  target,
});
const reads = (step: string, path = 'status') => ({ step, path, op: 'eq', value: 200 });
const condition = (id: string, filter: JsonObject) => at(id, 'core.condition', { filter });
const trigger = at('t', 'core.event', { event: 'order.placed' });

/** t → c → c2 → c3, along the yes outputs: c names no node, c2 a later one. */
const ghostAndLater = (): JourneyGraph => ({
  nodes: [trigger, condition('c', reads('ghost')), condition('c2', reads('c3')), condition('c3', reads('c'))],
  edges: [edge('t', 'c'), edge('c', 'c2', 'yes'), edge('c2', 'c3', 'yes')],
});

describe('a step clause names a step that runs before its node', () => {
  test('refuses a name that is no node, and a node that comes later, each at its step key', () => {
    expect(validateGraph(ghostAndLater(), registry)).toEqual([
      {
        nodeId: 'c',
        path: '/filter/step',
        message: 'step "ghost" is not a node that runs before "c": the graph has no node "ghost"',
      },
      {
        nodeId: 'c2',
        path: '/filter/step',
        message:
          'step "c3" is not a node that runs before "c2": no path leads from "c3" to "c2", so it has not run when "c2" does',
      },
    ]);
  });

  test('refuses a node on another branch', () => {
    const graph: JourneyGraph = {
      nodes: [
        trigger,
        condition('c', reads('t', 'name')),
        at('w', 'core.wait', { duration: 'P1D' }),
        condition('c2', reads('w')),
      ],
      edges: [edge('t', 'c'), edge('c', 'w', 'yes'), edge('c', 'c2', 'no')],
    };
    expect(validateGraph(graph, registry)).toEqual([
      expect.objectContaining({
        nodeId: 'c2',
        path: '/filter/step',
        message: expect.stringMatching(/^step "w" is not/),
      }),
    ]);
  });

  test('refuses a node that reads its own output', () => {
    const graph: JourneyGraph = { nodes: [trigger, condition('c', reads('c'))], edges: [edge('t', 'c')] };
    expect(validateGraph(graph, registry)).toEqual([
      {
        nodeId: 'c',
        path: '/filter/step',
        message: 'step "c" is not a node that runs before "c": a node cannot read its own output',
      },
    ]);
  });

  test('points inside all, any and not at the clause’s own step key', () => {
    const filter = { all: [reads('t'), { any: [reads('t'), { not: reads('later') }] }] };
    const graph: JourneyGraph = {
      nodes: [trigger, condition('c', filter), at('later', 'core.wait', { duration: 'P1D' })],
      edges: [edge('t', 'c'), edge('c', 'later', 'yes')],
    };
    expect(validateGraph(graph, registry).map((e) => e.path)).toEqual(['/filter/all/1/any/1/not/step']);
  });

  test('accepts the trigger and any earlier node, however far back and through whichever output', () => {
    const graph: JourneyGraph = {
      nodes: [
        trigger,
        condition('c', reads('t', 'name')),
        at('w', 'core.wait', { duration: 'P1D' }),
        condition('c2', { all: [reads('t'), reads('c', 'result'), reads('w', 'x')] }),
      ],
      edges: [edge('t', 'c'), edge('c', 'w', 'no'), edge('w', 'c2')],
    };
    expect(validateGraph(graph, registry)).toEqual([]);
  });

  test('reads a comparison’s value as data, even when it has a step key', () => {
    const filter = { trigger: 'order', op: 'eq', value: { step: 'ghost' } };
    const graph: JourneyGraph = { nodes: [trigger, condition('c', filter)], edges: [edge('t', 'c')] };
    expect(validateGraph(graph, registry)).toEqual([]);
  });
});

describe('POST /api/journeys/:id/validate and /publish', () => {
  test('name the clauses and publish nothing', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: t.auth,
      payload: { name: 'Ghost steps', graph: ghostAndLater() },
    });
    const id = created.json().id;
    const validated = await t.app.inject({ method: 'POST', url: `/api/journeys/${id}/validate`, headers: t.auth });
    expect(validated.json()).toMatchObject({
      valid: false,
      errors: [
        { nodeId: 'c', path: '/filter/step' },
        { nodeId: 'c2', path: '/filter/step' },
      ],
    });
    const published = await t.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: t.auth });
    expect(published.statusCode).toBe(422);
    expect(published.json().error.details).toEqual(validated.json().errors);
  });
});
