import { describe, expect, test } from 'vitest';
import { diffGraphs } from '../../engine/graph/diff.js';
import { edge, node, validGraph } from './fixtures.js';

describe('graph diff', () => {
  test('an unchanged graph has no differences', () => {
    expect(diffGraphs(validGraph(), validGraph())).toEqual({
      nodes: { added: [], removed: [], changed: [] },
      edges: { added: [], removed: [] },
    });
  });

  test('lists added and removed nodes and edges by id', () => {
    const from = validGraph();
    const to = validGraph();
    to.nodes = to.nodes.filter((n) => n.id !== 'a');
    to.nodes.push(node('b', 'test.act'));
    to.edges = [edge('e2', 'h', 'b')];
    expect(diffGraphs(from, to)).toEqual({
      nodes: { added: ['b'], removed: ['a'], changed: [] },
      edges: { added: ['e2'], removed: ['e1'] },
    });
  });

  test('names each changed field of a node as a JSON pointer', () => {
    const from = validGraph();
    const to = validGraph();
    to.nodes[1]!.params = { text: 'new', 'a/b': 1 };
    to.nodes[1]!.position = { x: 5, y: 0 };
    expect(diffGraphs(from, to).nodes.changed).toEqual([
      { id: 'a', paths: ['/params/a~1b', '/params/text', '/position/x'] },
    ]);
  });

  test('points into arrays by index', () => {
    const from = validGraph();
    const to = validGraph();
    from.nodes[1]!.params = { list: [1, 2, 3] };
    to.nodes[1]!.params = { list: [1, 9] };
    expect(diffGraphs(from, to).nodes.changed).toEqual([{ id: 'a', paths: ['/params/list/1', '/params/list/2'] }]);
  });

  test('an edge rewired under the same id counts as removed and added', () => {
    const from = validGraph();
    const to = validGraph();
    to.edges[0]!.sourceHandle = 'other';
    expect(diffGraphs(from, to).edges).toEqual({ added: ['e1'], removed: ['e1'] });
  });
});
