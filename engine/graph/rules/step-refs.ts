import { type ErrorDetail, validateFilter } from '@waymark/sdk';
import { filterParams } from '../filter-params.js';
import type { GraphEdge, GraphNode } from '../types.js';
import type { KnownNode } from './nodes.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The `step` clauses of a well-formed filter, each with the pointer of its `step` key. Only
 * `all`, `any` and `not` are followed: an event's `where` holds no step clause, and a
 * comparison's `value` is data, whatever keys it has.
 */
function stepClauses(filter: unknown, pointer: string): { step: string; path: string }[] {
  if (!isObj(filter)) return [];
  if (Array.isArray(filter.all)) return filter.all.flatMap((f, i) => stepClauses(f, `${pointer}/all/${i}`));
  if (Array.isArray(filter.any)) return filter.any.flatMap((f, i) => stepClauses(f, `${pointer}/any/${i}`));
  if (Object.hasOwn(filter, 'not')) return stepClauses(filter.not, `${pointer}/not`);
  return typeof filter.step === 'string' ? [{ step: filter.step, path: `${pointer}/step` }] : [];
}

/** The nodes from which `id` can be reached along `edges` (its ancestors), itself excluded. */
function ancestorsOf(id: string, into: ReadonlyMap<string, readonly string[]>): Set<string> {
  const found = new Set<string>();
  const queue = [id];
  while (queue.length) {
    for (const source of into.get(queue.pop() as string) ?? []) {
      if (found.has(source)) continue;
      found.add(source);
      queue.push(source);
    }
  }
  return found;
}

/**
 * A `step` clause reads an earlier step's output (NODES.md): every step a node's filter names
 * must be an ancestor of that node, a node every path to it passes or may pass through. A
 * name that is no node, a later node, a node on another branch or the node itself is never a
 * step the run has taken when the filter is read, so the clause could only ever be false.
 * Filters that fail their own checks are left to those; `edges` are those whose ends exist.
 */
export function checkStepRefs(
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
  known: ReadonlyMap<string, KnownNode>,
): ErrorDetail[] {
  const ids = new Set(nodes.map((n) => n.id));
  const into = new Map<string, string[]>();
  for (const edge of edges) into.set(edge.target, [...(into.get(edge.target) ?? []), edge.source]);
  const errors: ErrorDetail[] = [];
  for (const [nodeId, { definition, params }] of known) {
    const refs = filterParams(definition, params)
      .filter((f) => f.context === 'condition' && validateFilter(f.value, f.context, f.path).length === 0)
      .flatMap((f) => stepClauses(f.value, f.path));
    if (refs.length === 0) continue;
    const earlier = ancestorsOf(nodeId, into);
    for (const { step, path } of refs) {
      if (earlier.has(step)) continue;
      const why = ids.has(step)
        ? step === nodeId
          ? 'a node cannot read its own output'
          : `no path leads from "${step}" to "${nodeId}", so it has not run when "${nodeId}" does`
        : `the graph has no node "${step}"`;
      errors.push({ nodeId, path, message: `step "${step}" is not a node that runs before "${nodeId}": ${why}` });
    }
  }
  return errors;
}
