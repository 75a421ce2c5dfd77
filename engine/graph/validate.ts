import type { ErrorDetail } from '@waymark/sdk';
import type { NodeRegistry } from '../registry/registry.js';
import { checkEdges } from './rules/edges.js';
import { checkNodes } from './rules/nodes.js';
import { checkSettings } from './rules/settings.js';
import { checkStepRefs } from './rules/step-refs.js';
import { checkTopology } from './rules/topology.js';
import type { JourneyGraph } from './types.js';

/**
 * Every problem that keeps a graph from being published (DESIGN.md "The graph"): node ids
 * unique and types known, params valid (schema, filters, the type's own checks; `path` is a
 * JSON pointer into the node's params), edges unique with existing ends and real output
 * handles, at least one trigger, no edge into a trigger, no cycle, every node reachable
 * from a trigger, node settings sound, every step a filter reads an ancestor of its node.
 * An empty list means the graph may be published. The graph must already have the shape of
 * `graphSchema`.
 *
 * @example
 * const errors = validateGraph(draft, runtime.registry);
 * if (errors.length) throw new WaymarkError('invalid_graph', 'the draft is not valid', errors);
 */
export function validateGraph(graph: JourneyGraph, registry: NodeRegistry): ErrorDetail[] {
  const nodes = graph.nodes ?? [];
  const { errors: nodeErrors, known } = checkNodes(nodes, registry);
  const { errors: edgeErrors, sound } = checkEdges(graph.edges ?? [], nodes, known);
  const settingsErrors = checkSettings(nodes, graph.edges ?? [], known);
  return [
    ...nodeErrors,
    ...settingsErrors,
    ...edgeErrors,
    ...checkTopology(nodes, sound, known),
    ...checkStepRefs(nodes, sound, known),
  ];
}
