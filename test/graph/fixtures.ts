import { defineNode, definePackage, filterSchema } from '@waymark/sdk';
import type { GraphEdge, GraphNode, JourneyGraph } from '../../engine/graph/types.js';
import { NodeRegistry } from '../../engine/registry/registry.js';

const hook = defineNode({
  type: 'test.hook',
  version: 1,
  kind: 'trigger',
  title: 'Hook',
  description: 'A trigger.',
  category: 'Test',
  params: {
    type: 'object',
    properties: { secret: { type: 'string', minLength: 16 } },
    required: ['secret'],
    additionalProperties: false,
  },
  outputs: ['out'],
  async run() {
    return { next: 'out' };
  },
});

const act = defineNode({
  type: 'test.act',
  version: 1,
  kind: 'action',
  title: 'Act',
  description: 'An action with a template, a duration and an email.',
  category: 'Test',
  params: {
    type: 'object',
    properties: {
      text: { type: 'string', format: 'template' },
      after: { type: 'string', format: 'duration' },
      to: { type: 'string', format: 'email' },
      account: { type: 'string', format: 'credential' },
      filter: { ...filterSchema, filterContext: 'event' },
    },
    additionalProperties: false,
  },
  outputs: ['out'],
  async run() {
    return { next: 'out' };
  },
});

const split = defineNode({
  type: 'test.split',
  version: 1,
  kind: 'condition',
  title: 'Split',
  description: 'Outputs computed from params, with a validate hook.',
  category: 'Test',
  params: {
    type: 'object',
    properties: { keys: { type: 'array', items: { type: 'string' }, minItems: 1, default: ['x', 'y'] } },
    required: ['keys'],
    additionalProperties: false,
  },
  outputs: (params) => params.keys,
  validate: (params) =>
    new Set(params.keys).size === params.keys.length ? [] : [{ path: '/keys', message: 'keys must be unique' }],
  async run(ctx) {
    return { next: ctx.params.keys[0] ?? 'none' };
  },
});

/** A registry with three small node types, independent of the built-in packages. */
export function testRegistry(): NodeRegistry {
  const registry = new NodeRegistry();
  registry.add(definePackage({ name: 'test-nodes', version: '1.0.0', nodes: [hook, act, split] }));
  return registry;
}

export const SECRET = 'a-secret-of-16-chars';

export function node(id: string, type: string, params: GraphNode['params'] = {}): GraphNode {
  return { id, type, version: 1, params, position: { x: 0, y: 0 } };
}

export function edge(id: string, source: string, target: string, sourceHandle = 'out'): GraphEdge {
  return { id, source, sourceHandle, target };
}

/** hook → act: the smallest valid graph. */
export function validGraph(): JourneyGraph {
  return { nodes: [node('h', 'test.hook', { secret: SECRET }), node('a', 'test.act')], edges: [edge('e1', 'h', 'a')] };
}
