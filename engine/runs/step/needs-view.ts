import type { NodeRegistry } from '../../registry/registry.js';
import { type CompiledVersion, defaultedParams, definitionOf, paramsTemplateReads } from '../versions.js';

/** What of its run a step must read before its node runs: the contact, the path's outputs. */
export interface ViewNeeds {
  contact: boolean;
  steps: boolean;
}

const EVERYTHING: Readonly<ViewNeeds> = Object.freeze({ contact: true, steps: true });
const known = new WeakMap<NodeRegistry, WeakMap<CompiledVersion, Map<string, ViewNeeds>>>();

/**
 * What a step at `nodeId` needs read: the run's contact when its node reads it
 * (`readsContact`, default yes; an unknown node is taken to), the token's path when it reads
 * `ctx.steps` (`readsSteps`, likewise); either when a template in its params reads it
 * (`templateReads`; one that does not parse, both); and whatever
 * an inline node after it needs (the chain runs on what the step started with). Worked out
 * once per version and node; without its version (gone), everything.
 */
export function needsView(registry: NodeRegistry, version: CompiledVersion | null, nodeId: string): ViewNeeds {
  if (!version) return EVERYTHING;
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
  if (found) return found;
  // The node, and every node reached from it through inline nodes.
  const seen = new Set<string>([nodeId]);
  const queue = [nodeId];
  const needs: ViewNeeds = { contact: false, steps: false };
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    const own = readsOf(registry, version, id);
    needs.contact ||= own.contact;
    needs.steps ||= own.steps;
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

function readsOf(registry: NodeRegistry, version: CompiledVersion, nodeId: string): ViewNeeds {
  const node = version.nodes.get(nodeId);
  const definition = node ? definitionOf(registry, node, version) : null;
  if (!node || !definition) return EVERYTHING;
  const templates = paramsTemplateReads(definition, node.params);
  if (!templates) return EVERYTHING;
  const params = () => defaultedParams(definition, node.params) as never;
  const reads = (flag: boolean | ((params: never) => boolean) | undefined) =>
    typeof flag === 'function' ? flag(params()) : (flag ?? true);
  return {
    contact: templates.has('contact') || reads(definition.readsContact),
    steps: templates.has('steps') || reads(definition.readsSteps),
  };
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
