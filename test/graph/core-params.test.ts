import type { JsonObject } from '@waymark/sdk';
import pino from 'pino';
import { beforeAll, describe, expect, test } from 'vitest';
import type { GraphNode, JourneyGraph } from '../../engine/graph/types.js';
import { validateGraph } from '../../engine/graph/validate.js';
import { loadRegistry } from '../../engine/registry/load.js';
import type { NodeRegistry } from '../../engine/registry/registry.js';

// The node-specific rules of NODES.md, checked through the built-in core package.
let registry: NodeRegistry;
beforeAll(async () => {
  registry = await loadRegistry([], pino({ level: 'silent' }));
});

const SECRET = 'a-secret-of-16-chars';

/** `node` alone, after a webhook trigger unless it is a trigger itself; the errors found on it. */
function problemsOf(type: string, params: GraphNode['params']) {
  const isTrigger = registry.get(type, 1)?.definition.kind === 'trigger';
  const graph: JourneyGraph = {
    nodes: [
      { id: 'hook', type: 'core.webhook', version: 1, params: { secret: SECRET }, position: { x: 0, y: 0 } },
      { id: 'n', type, version: 1, params, position: { x: 0, y: 0 } },
    ],
    edges: isTrigger ? [] : [{ id: 'e1', source: 'hook', sourceHandle: 'out', target: 'n' }],
  };
  return validateGraph(graph, registry).filter((e) => e.nodeId === 'n');
}

describe('core node params', () => {
  test('core.webhook needs a secret of at least 16 characters', () => {
    expect(problemsOf('core.exit', {})).toEqual([]);
    const graph: JourneyGraph = {
      nodes: [{ id: 'n', type: 'core.webhook', version: 1, params: { secret: 'short' }, position: { x: 0, y: 0 } }],
      edges: [],
    };
    expect(validateGraph(graph, registry)).toEqual([
      { nodeId: 'n', path: '/secret', message: expect.stringMatching(/16/) },
    ]);
  });

  test('core.webhook’s payload schema must be a JSON Schema that compiles', () => {
    const webhook = (schema: JsonObject): JourneyGraph => ({
      nodes: [
        { id: 'n', type: 'core.webhook', version: 1, params: { secret: SECRET, schema }, position: { x: 0, y: 0 } },
      ],
      edges: [],
    });
    expect(validateGraph(webhook({ type: 'object', required: ['email'] }), registry)).toEqual([]);
    for (const broken of <JsonObject[]>[
      { type: 'object', properties: { email: { type: 'strin' } } },
      { type: 'object', required: 'email' },
      { $ref: '#/nope' },
      { type: 'nonsense' },
    ])
      expect(validateGraph(webhook(broken), registry)).toEqual([
        { nodeId: 'n', path: '/schema', message: expect.stringMatching(/^\/schema is not a valid JSON Schema: /) },
      ]);
  });

  test('core.split weights must sum to 100', () => {
    const variants = [
      { key: 'a', weight: 50 },
      { key: 'b', weight: 40 },
    ];
    expect(problemsOf('core.split', { variants })).toEqual([
      { nodeId: 'n', path: '/variants', message: expect.stringMatching(/100/) },
    ]);
  });

  test('core.split keys must be unique', () => {
    const variants = [
      { key: 'a', weight: 50 },
      { key: 'a', weight: 50 },
    ];
    expect(problemsOf('core.split', { variants })).toEqual([
      { nodeId: 'n', path: expect.stringMatching(/^\/variants/), message: expect.stringMatching(/"a"|unique|twice/) },
    ]);
  });

  test('core.split with weights summing to 100 and a control is valid', () => {
    const variants = [
      { key: 'a', weight: 45 },
      { key: 'b', weight: 45 },
      { key: 'control', weight: 10 },
    ];
    expect(problemsOf('core.split', { variants })).toEqual([]);
  });

  test('core.segment evaluates at most every second', () => {
    const filter = { attr: 'plan', op: 'eq', value: 'pro' };
    expect(problemsOf('core.segment', { filter, every: 'PT0.5S' })).toEqual([
      { nodeId: 'n', path: '/every', message: expect.stringMatching(/PT1S/) },
    ]);
    expect(problemsOf('core.segment', { filter, every: 'PT1S' })).toEqual([]);
  });

  test('core.schedule needs a cron expression that parses', () => {
    expect(problemsOf('core.schedule', { cron: 'every monday', timezone: 'UTC' })).toEqual([
      { nodeId: 'n', path: '/cron', message: expect.any(String) },
    ]);
    expect(problemsOf('core.schedule', { cron: '0 9 * * mon', timezone: 'Europe/Helsinki' })).toEqual([]);
  });

  test('core.schedule refuses a cron expression that never fires, naming it', () => {
    expect(problemsOf('core.schedule', { cron: '0 0 30 2 *', timezone: 'UTC' })).toEqual([
      { nodeId: 'n', path: '/cron', message: 'the cron expression "0 0 30 2 *" never fires' },
    ]);
    // The 29th of February comes, once in four years.
    expect(problemsOf('core.schedule', { cron: '0 0 29 2 *', timezone: 'UTC' })).toEqual([]);
  });

  test('core.schedule needs a real time zone', () => {
    expect(problemsOf('core.schedule', { cron: '0 9 * * mon', timezone: 'Mars/Olympus' })).toEqual([
      { nodeId: 'n', path: '/timezone', message: expect.any(String) },
    ]);
  });

  test('core.wait needs a duration or an until, not both', () => {
    const until = { time: '09:00', timezone: 'contact' };
    expect(problemsOf('core.wait', { duration: 'P1D' })).toEqual([]);
    expect(problemsOf('core.wait', { until })).toEqual([]);
    const either = [{ nodeId: 'n', path: '', message: 'params needs exactly one of duration, until' }];
    expect(problemsOf('core.wait', {})).toEqual(either);
    expect(problemsOf('core.wait', { duration: 'P1D', until })).toEqual(either);
  });

  test('core.condition checks its filter as a condition', () => {
    expect(problemsOf('core.condition', { filter: { trigger: 'order.total', op: 'gt', value: 100 } })).toEqual([]);
    const [error] = problemsOf('core.condition', { filter: { attr: 'plan', op: 'nope', value: 1 } });
    expect(error).toMatchObject({ nodeId: 'n', path: expect.stringMatching(/^\/filter/) });
  });

  test('core.segment refuses trigger clauses (segments see contacts only)', () => {
    const filter = { trigger: 'order.total', op: 'gt', value: 100 };
    const [error] = problemsOf('core.segment', { filter, every: 'PT5M' });
    expect(error).toMatchObject({ nodeId: 'n', path: expect.stringMatching(/^\/filter/) });
  });
});
