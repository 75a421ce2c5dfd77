import { describe, expect, test } from 'vitest';
import { validateGraph } from '../../engine/graph/validate.js';
import { edge, node, testRegistry, validGraph } from './fixtures.js';

const registry = testRegistry();

describe('graph validation: edges', () => {
  test('refuses two edges with one id, and still follows both (b is reached)', () => {
    const graph = validGraph();
    graph.nodes.push(node('b', 'test.act'));
    graph.edges.push(edge('e1', 'a', 'b'));
    expect(validateGraph(graph, registry)).toEqual([
      { edgeId: 'e1', message: 'edge id "e1" is used by more than one edge' },
    ]);
  });

  test('an edge whose id another has is still checked: the cycle it closes is reported too', () => {
    const graph = validGraph();
    graph.nodes.push(node('b', 'test.act'));
    graph.edges.push(edge('e2', 'a', 'b'), edge('e2', 'b', 'a'));
    expect(validateGraph(graph, registry)).toEqual([
      { edgeId: 'e2', message: 'edge id "e2" is used by more than one edge' },
      { edgeId: 'e2', message: 'the graph has a cycle: edge e2 (b → a) leads back to an earlier node' },
    ]);
  });

  test('an edge whose id another has is still checked: its target that is no node is reported too', () => {
    const graph = validGraph();
    graph.edges.push(edge('e1', 'a', 'ghost'));
    expect(validateGraph(graph, registry)).toEqual([
      { edgeId: 'e1', message: 'edge id "e1" is used by more than one edge' },
      { edgeId: 'e1', message: 'edge e1: its target "ghost" is not a node of the graph' },
    ]);
  });

  test('refuses an edge whose target is not a node', () => {
    const graph = validGraph();
    graph.edges.push(edge('e2', 'a', 'ghost'));
    expect(validateGraph(graph, registry)).toEqual([
      { edgeId: 'e2', message: 'edge e2: its target "ghost" is not a node of the graph' },
    ]);
  });

  test('refuses an edge whose source is not a node', () => {
    const graph = validGraph();
    graph.edges.push(edge('e2', 'ghost', 'a'));
    expect(validateGraph(graph, registry)).toEqual([
      { edgeId: 'e2', message: 'edge e2: its source "ghost" is not a node of the graph' },
    ]);
  });

  test('refuses a draft whose edge names a missing output', () => {
    const graph = validGraph();
    graph.edges[0]!.sourceHandle = 'yes';
    expect(validateGraph(graph, registry)).toEqual([
      {
        edgeId: 'e1',
        nodeId: 'h',
        message: 'edge e1: node h (test.hook) has no output "yes" (its outputs: "out")',
      },
      { nodeId: 'a', message: 'node a cannot be reached from any trigger' },
    ]);
  });

  test('checks handles against outputs computed from the params', () => {
    const graph = validGraph();
    graph.nodes.push(node('s', 'test.split', { keys: ['a', 'b'] }), node('x', 'test.act'), node('y', 'test.act'));
    graph.edges.push(edge('e2', 'a', 's'), edge('e3', 's', 'x', 'b'), edge('e4', 's', 'y', 'control'));
    expect(validateGraph(graph, registry)).toEqual([
      {
        edgeId: 'e4',
        nodeId: 's',
        message: 'edge e4: node s (test.split) has no output "control" (its outputs: "a", "b")',
      },
      { nodeId: 'y', message: 'node y cannot be reached from any trigger' },
    ]);
  });
});
