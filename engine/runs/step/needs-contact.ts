import type { NodeRegistry } from '../../registry/registry.js';
import { type CompiledVersion, defaultedParams, definitionOf, paramsHaveTemplates } from '../versions.js';

const known = new WeakMap<NodeRegistry, WeakMap<CompiledVersion, Map<string, boolean>>>();

/**
 * Whether a step at `nodeId` needs its run's contact loaded: its node reads it (`readsContact`,
 * default yes; an unknown node is taken to), a template in its params may, or an inline node
 * after it needs it (the chain runs on the contact the step started with). Worked out once per
 * version and node.
 */
export function needsContact(registry: NodeRegistry, version: CompiledVersion, nodeId: string): boolean {
  let byVersion = known.get(registry);
  if (!byVersion) {
    byVersion = new WeakMap();
    known.set(registry, byVersion);
  }
  let byNode = byVersion.get(version);
  if (!byNode) {
    byNode = new Map();
    byVersion.set(version, byNode);
  }
  const found = byNode.get(nodeId);
  if (found !== undefined) return found;
  // The node, or any node reached from it through inline nodes, reads the contact.
  const seen = new Set<string>([nodeId]);
  const queue = [nodeId];
  let needs = false;
  for (let id = queue.pop(); id !== undefined && !needs; id = queue.pop()) {
    needs = readsContact(registry, version, id);
    for (const next of inlineAfter(registry, version, id)) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  byNode.set(nodeId, needs);
  return needs;
}

function readsContact(registry: NodeRegistry, version: CompiledVersion, nodeId: string): boolean {
  const node = version.nodes.get(nodeId);
  const definition = node ? definitionOf(registry, node, version) : null;
  if (!node || !definition) return true;
  if (paramsHaveTemplates(definition, node.params)) return true;
  const reads = definition.readsContact ?? true;
  return typeof reads === 'function' ? reads(defaultedParams(definition, node.params) as never) : reads;
}

function inlineAfter(registry: NodeRegistry, version: CompiledVersion, nodeId: string): string[] {
  return version.graph.edges
    .filter((e) => e.source === nodeId)
    .map((e) => e.target)
    .filter((id) => {
      const node = version.nodes.get(id);
      return node ? definitionOf(registry, node, version)?.inline === true : false;
    });
}
