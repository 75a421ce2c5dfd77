import { REDACTED } from '../credentials/step-secrets.js';
import type { NodeRegistry } from '../registry/registry.js';
import type { JourneyGraph } from './types.js';

/** The params of a node type's schema marked `writeOnly` (JSON Schema: sent, never shown back). */
function writeOnlyParams(registry: NodeRegistry, type: string, version: number): string[] {
  const properties = (registry.get(type, version)?.definition.params as { properties?: object } | undefined)
    ?.properties;
  if (!properties) return [];
  return Object.entries(properties).flatMap(([key, schema]) =>
    (schema as { writeOnly?: unknown } | null)?.writeOnly === true ? [key] : [],
  );
}

/**
 * The graph as someone who may read a journey but not change it sees it: each param its
 * node's schema marks `writeOnly` (core.webhook's `secret`) reads `[redacted]`, since knowing
 * it is the power to start runs, which reading a journey does not give.
 *
 * @example
 * withSecretParamsHidden({ nodes: [hook], edges: [] }, registry).nodes[0].params.secret; // '[redacted]'
 */
export function withSecretParamsHidden(graph: JourneyGraph, registry: NodeRegistry): JourneyGraph {
  return {
    ...graph,
    nodes: graph.nodes.map((node) => {
      const hidden = writeOnlyParams(registry, node.type, node.version).filter((key) => node.params?.[key] != null);
      if (hidden.length === 0) return node;
      const params = { ...node.params };
      for (const key of hidden) params[key] = REDACTED;
      return { ...node, params };
    }),
  };
}
