import { type ErrorDetail, hasErrorOutput, parseDuration } from '@waymark/sdk';
import type { GraphEdge, GraphNode } from '../types.js';
import type { KnownNode } from './nodes.js';

const ON_ERROR = ['fail', 'continue', 'output'];
const MAX_BACKOFF_MS = 24 * 3600_000;
/** `retry.backoff` when a node's settings give none: PT1S (contracts/failures.md). */
export const DEFAULT_BACKOFF_MS = 1000;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A duration from PT0S to P1D in ms, or a problem. */
function durationProblem(value: unknown): string | number {
  const ms = typeof value === 'string' ? parseDuration(value) : null;
  if (ms === null || ms > MAX_BACKOFF_MS) return 'must be an ISO 8601 duration from PT0S to P1D';
  return ms;
}

function retryProblems(retry: unknown): ErrorDetail[] {
  if (!isObject(retry)) return [{ path: '/settings/retry', message: 'retry must be an object' }];
  const problems: ErrorDetail[] = [];
  for (const key of Object.keys(retry))
    if (!['attempts', 'backoff', 'maxBackoff'].includes(key))
      problems.push({ path: `/settings/retry/${key}`, message: `retry has no setting "${key}"` });
  const { attempts } = retry;
  if (
    attempts !== undefined &&
    !(Number.isInteger(attempts) && (attempts as number) >= 1 && (attempts as number) <= 25)
  )
    problems.push({ path: '/settings/retry/attempts', message: 'attempts must be an integer from 1 to 25' });
  const ms: Record<string, number> = {};
  for (const key of ['backoff', 'maxBackoff'] as const) {
    if (retry[key] === undefined) continue;
    const checked = durationProblem(retry[key]);
    if (typeof checked === 'string') problems.push({ path: `/settings/retry/${key}`, message: `${key} ${checked}` });
    else ms[key] = checked;
  }
  // A maxBackoff below the default backoff contradicts it as much as one below a given backoff:
  // every delay would be silently cut to it.
  if (ms.maxBackoff !== undefined && ms.maxBackoff < (ms.backoff ?? DEFAULT_BACKOFF_MS))
    problems.push({
      path: '/settings/retry/maxBackoff',
      message:
        retry.backoff === undefined
          ? 'maxBackoff must not be shorter than backoff (PT1S when not given)'
          : 'maxBackoff must not be shorter than backoff',
    });
  return problems;
}

function nodeProblems(node: GraphNode, known: KnownNode | undefined): ErrorDetail[] {
  const { settings } = node;
  if (settings === undefined) return [];
  if (known && !hasErrorOutput(known.definition))
    return [{ path: '/settings', message: `${node.type} nodes take no settings (only action nodes but core.exit do)` }];
  if (!isObject(settings)) return [{ path: '/settings', message: 'settings must be an object' }];
  const problems: ErrorDetail[] = [];
  for (const key of Object.keys(settings))
    if (key !== 'onError' && key !== 'retry')
      problems.push({ path: `/settings/${key}`, message: `settings has no setting "${key}"` });
  if (settings.onError !== undefined && !ON_ERROR.includes(settings.onError as string))
    problems.push({ path: '/settings/onError', message: 'onError must be "fail", "continue" or "output"' });
  if (settings.retry !== undefined) problems.push(...retryProblems(settings.retry));
  return problems;
}

/**
 * Node settings (API.md "Node settings"): only on action nodes but `core.exit`, `onError`
 * one of fail/continue/output, `retry` attempts 1–25 and backoffs PT0S–P1D with
 * `maxBackoff` ≥ `backoff` (given or default), no other keys; an edge from `error` only under `output` (or
 * no `onError`).
 */
export function checkSettings(
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
  known: ReadonlyMap<string, KnownNode>,
): ErrorDetail[] {
  const errors = nodes.flatMap((node) =>
    nodeProblems(node, known.get(node.id)).map((p) => ({ nodeId: node.id, ...p })),
  );
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const edge of edges) {
    if (edge.sourceHandle !== 'error') continue;
    const onError = byId.get(edge.source)?.settings?.onError;
    if (onError === 'fail' || onError === 'continue')
      errors.push({
        edgeId: edge.id,
        nodeId: edge.source,
        path: '/settings/onError',
        message: `edge ${edge.id} leaves the error output of ${edge.source}, whose onError is "${onError}" (set it to "output")`,
      });
  }
  return errors;
}
