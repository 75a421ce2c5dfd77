import type { JsonObject } from '@waymark/sdk';
import { describe, expect, test } from 'vitest';
import { validateGraph } from '../../engine/graph/validate.js';
import { edge, node, SECRET, testRegistry, validGraph } from './fixtures.js';

const registry = testRegistry();

describe('graph validation: nodes', () => {
  test('accepts a trigger wired to an action', () => {
    expect(validateGraph(validGraph(), registry)).toEqual([]);
  });

  test('refuses a node type that is not installed', () => {
    const graph = validGraph();
    graph.nodes.push(node('x', 'acme.nothing'));
    graph.edges.push(edge('e2', 'a', 'x'));
    expect(validateGraph(graph, registry)).toEqual([
      { nodeId: 'x', message: 'node type "acme.nothing" is not installed' },
    ]);
  });

  test('refuses a version of a known type that does not exist', () => {
    const graph = validGraph();
    graph.nodes[1]!.version = 3;
    expect(validateGraph(graph, registry)).toEqual([
      { nodeId: 'a', message: 'node type "test.act" has no version 3 (the newest is 1)' },
    ]);
  });

  test('refuses two nodes with one id', () => {
    const graph = validGraph();
    graph.nodes.push(node('a', 'test.act'));
    expect(validateGraph(graph, registry)).toEqual([
      { nodeId: 'a', message: 'node id "a" is used by more than one node' },
    ]);
  });
});

describe('graph validation: params', () => {
  const withParams = (params: JsonObject) => {
    const graph = validGraph();
    graph.nodes[1]!.params = params;
    return validateGraph(graph, registry);
  };

  test('names a missing required param by its pointer', () => {
    const graph = validGraph();
    graph.nodes[0]!.params = {};
    expect(validateGraph(graph, registry)).toEqual([{ nodeId: 'h', path: '/secret', message: '/secret is required' }]);
  });

  test('names a param that breaks a schema limit', () => {
    const graph = validGraph();
    graph.nodes[0]!.params = { secret: 'short' };
    expect(validateGraph(graph, registry)).toEqual([
      { nodeId: 'h', path: '/secret', message: '/secret must NOT have fewer than 16 characters' },
    ]);
  });

  test('refuses a param the schema does not know', () => {
    expect(withParams({ colour: 'red' })).toEqual([
      { nodeId: 'a', path: '/colour', message: '/colour is not a known param' },
    ]);
  });

  test('refuses a template that does not parse, with the parser’s message', () => {
    const [error] = withParams({ text: 'Hi {{ contact.email' });
    expect(error).toMatchObject({ nodeId: 'a', path: '/text' });
    expect(error?.message).toMatch(/^\/text is not a valid template: .*not closed/);
  });

  test('refuses a duration that is not ISO 8601', () => {
    expect(withParams({ after: '3 days' })).toEqual([
      {
        nodeId: 'a',
        path: '/after',
        message: '/after must be an ISO 8601 duration of zero or more, such as PT30S or P7D',
      },
    ]);
  });

  test('refuses a negative duration, signed before or inside', () => {
    const message = '/after must be an ISO 8601 duration of zero or more, such as PT30S or P7D';
    expect(withParams({ after: '-P1D' })).toEqual([{ nodeId: 'a', path: '/after', message }]);
    expect(withParams({ after: 'PT-1H' })).toEqual([{ nodeId: 'a', path: '/after', message }]);
  });

  test('takes a zero duration', () => {
    expect(withParams({ after: 'PT0S' })).toEqual([]);
  });

  test('refuses an email param that is no address', () => {
    expect(withParams({ to: 'nobody' })).toEqual([
      { nodeId: 'a', path: '/to', message: '/to must match format "email"' },
    ]);
  });

  test('refuses a credential param that is no credential id', () => {
    expect(withParams({ account: 'my-key' })).toEqual([
      { nodeId: 'a', path: '/account', message: '/account must be a credential id (a UUID)' },
    ]);
  });

  test('checks a filter param with the filter validator, pointer prefixed by the param', () => {
    const errors = withParams({ filter: { all: [{ attr: 'plan', op: 'eqq', value: 1 }] } });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ nodeId: 'a', path: expect.stringMatching(/^\/filter\/all\/0/) });
  });

  test('lists a filter’s problems beside another param’s schema problem', () => {
    const errors = withParams({ after: 'soon', filter: { attr: 'plan', op: 'eqq', value: 1 } });
    expect(errors.map((e) => e.path)).toEqual(['/after', expect.stringMatching(/^\/filter/)]);
  });

  test('leaves a filter unchecked whose own schema fails, so it is named once', () => {
    const errors = withParams({ filter: 'plan = pro' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ nodeId: 'a', path: '/filter' });
  });

  test('accepts valid formats of every kind', () => {
    expect(
      withParams({
        text: 'Hi {{ contact.email }}',
        after: 'P3D',
        to: 'ada@example.com',
        account: '3f2b8a1e-9c4d-4e5f-8a6b-7c8d9e0f1a2b',
        filter: { attr: 'plan', op: 'eq', value: 'pro' },
      }),
    ).toEqual([]);
  });

  test('runs the node type’s own validate hook once the schema passes', () => {
    const graph = validGraph();
    graph.nodes.push(node('s', 'test.split', { keys: ['a', 'a'] }));
    graph.edges.push(edge('e2', 'a', 's'));
    expect(validateGraph(graph, registry)).toEqual([{ nodeId: 's', path: '/keys', message: 'keys must be unique' }]);
  });

  test('counts a left-out param that has a default as given, outputs included', () => {
    const graph = validGraph();
    graph.nodes.push(node('s', 'test.split', {}), node('x', 'test.act'));
    graph.edges.push(edge('e2', 'a', 's'), edge('e3', 's', 'x', 'y'));
    expect(validateGraph(graph, registry)).toEqual([]);
    expect(graph.nodes[2]!.params).toEqual({});
  });

  test('reports every problem at once', () => {
    const graph = validGraph();
    graph.nodes[0]!.params = { secret: SECRET, extra: 1 };
    graph.nodes[1]!.params = { after: 'soon' };
    expect(validateGraph(graph, registry).map((e) => `${e.nodeId}${e.path}`)).toEqual(['h/extra', 'a/after']);
  });
});
