import { type AnyNodeDefinition, type ErrorDetail, paramsProblems, RESERVED_NAMES } from '@waymark/sdk';
import type { NodeRegistry } from '../../registry/registry.js';
import { checkFilterParams } from '../filter-params.js';
import { checkParamsSchema } from '../params-schema.js';
import { checkJsonSchemaParams } from '../payload-schema.js';
import type { GraphNode } from '../types.js';

/** A node whose type is known, with what the later rules need to know about it. */
export interface KnownNode {
  node: GraphNode;
  definition: AnyNodeDefinition;
  /** Its params with the schema's defaults filled in. */
  params: unknown;
  /** Whether its params passed every check, so computed outputs can be trusted. */
  paramsValid: boolean;
}

/** Whether one JSON pointer is the other or lies under it. */
const overlaps = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

/**
 * The filter and JSON Schema params' own problems when the schema failed elsewhere, so a draft
 * lists every problem at once; a param the schema already faulted (or that lies inside or
 * around a faulted pointer) is left to that problem alone.
 */
function formatProblemsBeside(definition: AnyNodeDefinition, params: unknown, errors: ErrorDetail[]): ErrorDetail[] {
  const faulted = errors.map((e) => e.path ?? '');
  const apart = (p: ErrorDetail) => !faulted.some((f) => overlaps(f, p.path ?? ''));
  return [...checkFilterParams(definition, params), ...checkJsonSchemaParams(definition, params)].filter(apart);
}

function checkParams(node: GraphNode, definition: AnyNodeDefinition): { problems: ErrorDetail[]; params: unknown } {
  const { errors, params } = checkParamsSchema(definition, node.params ?? {});
  // The node's own hook may assume the whole schema holds; the format checkers only their param's.
  const problems = errors.length
    ? [...errors, ...formatProblemsBeside(definition, params, errors)]
    : [
        ...checkFilterParams(definition, params),
        ...checkJsonSchemaParams(definition, params),
        ...safeHook(definition, params),
      ];
  return {
    params,
    problems: problems.map((p) => ({
      nodeId: node.id,
      ...(p.path !== undefined ? { path: p.path } : {}),
      message: p.message,
    })),
  };
}

function safeHook(definition: AnyNodeDefinition, params: unknown): ErrorDetail[] {
  try {
    return paramsProblems(definition, params);
  } catch (error) {
    return [{ path: '', message: `params could not be checked: ${error instanceof Error ? error.message : error}` }];
  }
}

/**
 * Node rules: ids are unique and not reserved (`__proto__`, `constructor`, `prototype`), every
 * type and version is in the registry, and params pass the type's JSON Schema, its filter
 * params and its own `validate` hook.
 */
export function checkNodes(
  nodes: readonly GraphNode[],
  registry: NodeRegistry,
): { errors: ErrorDetail[]; known: Map<string, KnownNode> } {
  const errors: ErrorDetail[] = [];
  const known = new Map<string, KnownNode>();
  const seen = new Set<string>();
  for (const node of nodes) {
    if (seen.has(node.id)) {
      errors.push({ nodeId: node.id, message: `node id "${node.id}" is used by more than one node` });
      continue;
    }
    seen.add(node.id);
    // A filter may not name them (`{ "step": "constructor" }` is refused), and an object keyed
    // by node ids would take `__proto__` for its prototype.
    if (RESERVED_NAMES.includes(node.id)) {
      errors.push({ nodeId: node.id, message: `node id "${node.id}" is reserved; name the node otherwise` });
    }
    const registered = registry.get(node.type, node.version);
    if (!registered) {
      const latest = registry.latestVersion(node.type);
      errors.push({
        nodeId: node.id,
        message:
          latest === undefined
            ? `node type "${node.type}" is not installed`
            : `node type "${node.type}" has no version ${node.version} (the newest is ${latest})`,
      });
      continue;
    }
    const { problems, params } = checkParams(node, registered.definition);
    errors.push(...problems);
    known.set(node.id, { node, definition: registered.definition, params, paramsValid: problems.length === 0 });
  }
  return { errors, known };
}
