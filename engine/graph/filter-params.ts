import { type AnyNodeDefinition, type ErrorDetail, type FilterContext, validateFilter } from '@waymark/sdk';
import { type SchemaNode, valuesWithFormat } from './formatted-values.js';

const CONTEXTS: readonly string[] = ['segment', 'condition', 'event'];

// Where the built-in nodes' filters are read (NODES.md). A third-party schema may say so
// itself with `filterContext` beside `format: "filter"`.
const CONTEXT_BY_TYPE: Record<string, FilterContext> = {
  'core.condition': 'condition',
  'core.event': 'event',
  'core.wait-for-event': 'event',
  'core.segment': 'segment',
  'core.schedule': 'segment',
};

function contextOf(node: AnyNodeDefinition, schema: SchemaNode): FilterContext {
  if (schema.filterContext && CONTEXTS.includes(schema.filterContext)) return schema.filterContext as FilterContext;
  return CONTEXT_BY_TYPE[node.type] ?? (node.kind === 'trigger' ? 'segment' : 'condition');
}

/** A param whose schema says `format: "filter"`, with the context the node reads it in. */
export interface FilterParam {
  path: string;
  value: unknown;
  context: FilterContext;
}

/** Every filter param of a node's params (paths are JSON pointers into the params). */
export function filterParams(node: AnyNodeDefinition, params: unknown): FilterParam[] {
  return valuesWithFormat(node.params, params, 'filter').map(({ path, value, schema }) => ({
    path,
    value,
    context: contextOf(node, schema),
  }));
}

/**
 * Checks every param whose schema says `format: "filter"` with the filter language's
 * validator, in the context the node reads it (`condition`, `event` or `segment`).
 * Paths are JSON pointers into the params.
 */
export function checkFilterParams(node: AnyNodeDefinition, params: unknown): ErrorDetail[] {
  return filterParams(node, params).flatMap(({ path, value, context }) => validateFilter(value, context, path));
}
