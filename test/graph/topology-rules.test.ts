import { describe, expect, test } from 'vitest';
import { validateGraph } from '../../engine/graph/validate.js';
import { edge, node, SECRET, testRegistry, validGraph } from './fixtures.js';

const registry = testRegistry();

describe('graph validation: shape', () => {
  test('refuses a graph without a trigger', () => {
    const graph = { nodes: [node('a', 'test.act'), node('b', 'test.act')], edges: [edge('e1', 'a', 'b')] };
    expect(validateGraph(graph, registry)).toEqual([{ message: 'the journey needs at least one trigger node' }]);
  });

  test('refuses an empty graph', () => {
    expect(validateGraph({ nodes: [], edges: [] }, registry)).toEqual([
      { message: 'the journey needs at least one trigger node' },
    ]);
  });

  test('refuses an edge into a trigger', () => {
    const graph = validGraph();
    graph.nodes.push(node('h2', 'test.hook', { secret: SECRET }));
    graph.edges.push(edge('e2', 'a', 'h2'));
    expect(validateGraph(graph, registry)).toEqual([
      { edgeId: 'e2', nodeId: 'h2', message: 'edge e2: trigger h2 cannot have an incoming edge' },
    ]);
  });

  test('refuses a cycle and names an edge on it', () => {
    const graph = validGraph();
    graph.nodes.push(node('b', 'test.act'), node('c', 'test.act'));
    graph.edges.push(edge('e2', 'a', 'b'), edge('e3', 'b', 'c'), edge('e4', 'c', 'a'));
    expect(validateGraph(graph, registry)).toEqual([
      { edgeId: 'e4', message: 'the graph has a cycle: edge e4 (c → a) leads back to an earlier node' },
    ]);
  });

  test('refuses a node that loops onto itself', () => {
    const graph = validGraph();
    graph.edges.push(edge('loop', 'a', 'a'));
    expect(validateGraph(graph, registry)).toEqual([
      { edgeId: 'loop', message: 'the graph has a cycle: edge loop (a → a) leads back to an earlier node' },
    ]);
  });

  test('accepts two branches that join again (a diamond is no cycle)', () => {
    const graph = validGraph();
    graph.nodes.push(node('s', 'test.split', { keys: ['x', 'y'] }), node('j', 'test.act'));
    graph.edges.push(edge('e2', 'a', 's'), edge('e3', 's', 'j', 'x'), edge('e4', 's', 'j', 'y'));
    expect(validateGraph(graph, registry)).toEqual([]);
  });

  test('refuses a node no trigger reaches', () => {
    const graph = validGraph();
    graph.nodes.push(node('island', 'test.act'));
    expect(validateGraph(graph, registry)).toEqual([
      { nodeId: 'island', message: 'node island cannot be reached from any trigger' },
    ]);
  });

  test('handles a long chain without running out of stack', () => {
    const graph = validGraph();
    for (let i = 0; i < 20_000; i++) {
      graph.nodes.push(node(`n${i}`, 'test.act'));
      graph.edges.push(edge(`c${i}`, i === 0 ? 'a' : `n${i - 1}`, `n${i}`));
    }
    expect(validateGraph(graph, registry)).toEqual([]);
  });
});
