import { describe, expect, test } from 'vitest';
import { variablesAt } from '../../../editor/src/components/Inspector/variables.js';
import type { JsonObject } from '../../../editor/src/lib/api/types/json.js';
import { toFlowNode } from '../../../editor/src/lib/graph/convert.js';

const node = (id: string, type: string, params: JsonObject = {}) =>
  toFlowNode({ id, type, version: 1, params, position: { x: 0, y: 0 } });

// What a template field suggests after an http.request: every part of its output (NODES.md), so a
// marketer finds `steps.call.output.headers` and, after a redirect, the URL the answer came from.
describe('variables suggested after an http.request', () => {
  const nodes = [node('hook', 'core.webhook'), node('call', 'http.request'), node('tag', 'crm.tag')];
  const edges = [
    { source: 'hook', target: 'call' },
    { source: 'call', target: 'tag' },
  ];

  test('name the call’s status, headers, body and final URL', () => {
    const { variables } = variablesAt('tag', nodes, edges);
    expect(variables).toEqual(
      expect.arrayContaining([
        'steps.call.output',
        'steps.call.output.status',
        'steps.call.output.headers',
        'steps.call.output.body',
        'steps.call.output.url',
      ]),
    );
  });

  test('are not offered before the call', () => {
    const { variables } = variablesAt('call', nodes, edges);
    expect(variables.filter((v) => v.startsWith('steps.call'))).toEqual([]);
  });
});
