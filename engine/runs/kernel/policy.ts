import { type AnyNodeDefinition, parseDuration } from '@waymark/sdk';
import { DEFAULT_BACKOFF_MS } from '../../graph/rules/settings.js';
import type { GraphNode, OnError } from '../../graph/types.js';
import { DEFAULT_MAX_ATTEMPTS } from '../node/invoke.js';
import { type CompiledVersion, targetsOf } from '../versions.js';

/** How failing steps are retried when a node's settings say nothing (the worker's options). */
export interface RetryOptions {
  /** Delay before the second attempt; doubles each attempt. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { retryBaseMs: DEFAULT_BACKOFF_MS, retryMaxMs: 10 * 60_000 };

/** One node's retry policy: attempts in all (the first included) and the backoff. */
export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

/** The node's policy: its `settings.retry`, else its type's `maxAttempts` and the worker's backoff. */
export function retryPolicyOf(definition: AnyNodeDefinition, node: GraphNode, defaults: RetryOptions): RetryPolicy {
  const retry = node.settings?.retry;
  const base = retry?.backoff !== undefined ? parseDuration(retry.backoff) : null;
  const max = retry?.maxBackoff !== undefined ? parseDuration(retry.maxBackoff) : null;
  return {
    attempts: retry?.attempts ?? definition.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    baseMs: base ?? defaults.retryBaseMs,
    maxMs: max ?? Math.max(defaults.retryMaxMs, base ?? 0),
  };
}

/**
 * The delay before the next attempt after `attempts` attempts: doubling from the base, capped,
 * then lengthened by up to 10 % (`jitter` in [0, 1)) so that runs failing together do not all
 * come back at once; a delay the failure asked for (`Retry-After`) wins, capped.
 */
export function retryDelayMs(policy: RetryPolicy, attempts: number, askedMs?: number, jitter = 0): number {
  if (askedMs !== undefined) return Math.min(askedMs, policy.maxMs);
  const delay = Math.min(policy.baseMs * 2 ** (attempts - 1), policy.maxMs);
  return Math.round(delay * (1 + 0.1 * Math.min(Math.max(jitter, 0), 1)));
}

/** What a failed step does: its `onError`, else `output` when an edge leaves its `error` handle, else `fail`. */
export function onErrorOf(version: CompiledVersion, node: GraphNode): OnError {
  if (node.settings?.onError) return node.settings.onError;
  return targetsOf(version, node.id, 'error').length > 0 ? 'output' : 'fail';
}
