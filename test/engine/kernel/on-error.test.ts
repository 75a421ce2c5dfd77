import { defineNode, type JsonObject } from '@waymark/sdk';
import { describe, expect, test } from 'vitest';
import type { GraphNode, NodeSettings } from '../../../engine/graph/types.js';
import { DEFAULT_RETRY, decide } from '../../../engine/runs/kernel/decide.js';
import { compileVersion } from '../../../engine/runs/versions.js';

// The kernel decides what a failing step does from the node's settings — so production and
// test runs agree by construction (API.md "Node settings").

const call = defineNode({
  type: 't.call',
  version: 1,
  kind: 'action',
  title: 'Call',
  description: '',
  category: 'Test',
  maxAttempts: 4,
  params: { type: 'object' },
  outputs: ['ok'],
  async run() {
    return { next: 'ok' };
  },
});

const node = (id: string, settings?: NodeSettings): GraphNode => ({
  id,
  type: 't.call',
  version: 1,
  params: {},
  position: { x: 0, y: 0 },
  ...(settings ? { settings } : {}),
});
const edge = (source: string, sourceHandle: string, target: string) => ({
  id: `${source}-${sourceHandle}-${target}`,
  source,
  sourceHandle,
  target,
});
const versionWith = (h: GraphNode, errorEdge: boolean) =>
  compileVersion(
    'j',
    1,
    {
      nodes: [h, node('next'), node('fallback')],
      edges: [edge('h', 'ok', 'next'), ...(errorEdge ? [edge('h', 'error', 'fallback')] : [])],
    },
    {},
  );
const now = new Date('2026-01-01T00:00:00Z');
const policy = { now, retry: DEFAULT_RETRY };
const answer: JsonObject = { status: 500, body: 'down' };
const failure = (retryable: boolean, extra: object = {}) => ({
  kind: 'error' as const,
  retryable,
  error: { message: 'POST /c answered 500', code: 'http.status-500' },
  output: answer,
  ...extra,
});
const decideAt = (h: GraphNode, attempts: number, outcome = failure(true), errorEdge = false) =>
  decide(versionWith(h, errorEdge), { node: h, definition: call }, { nodeId: 'h', attempts }, outcome, policy);

describe('a failing step under its node settings', () => {
  test('is retried up to the type’s maxAttempts without settings, then fails the run', () => {
    expect(decideAt(node('h'), 3)).toMatchObject({ kind: 'retry', delayMs: 4000 });
    expect(decideAt(node('h'), 4)).toMatchObject({
      kind: 'fail',
      error: { code: 'http.status-500', attempts: 4, retryable: true },
    });
  });

  test('follows settings.retry: attempts, backoff doubling and capped at maxBackoff', () => {
    const h = node('h', { retry: { attempts: 6, backoff: 'PT5S', maxBackoff: 'PT12S' } });
    expect([1, 2, 3, 4, 5].map((a) => (decideAt(h, a) as { delayMs?: number }).delayMs)).toEqual([
      5000, 10_000, 12_000, 12_000, 12_000,
    ]);
    expect(decideAt(h, 6).kind).toBe('fail');
  });

  test('lengthens a backoff by up to 10 % of jitter, never shortens it', () => {
    const h = node('h', { retry: { backoff: 'PT10S' } });
    const at = (jitter: number) =>
      decide(versionWith(h, false), { node: h, definition: call }, { nodeId: 'h', attempts: 1 }, failure(true), {
        ...policy,
        jitter,
      });
    expect(at(0)).toMatchObject({ delayMs: 10_000 });
    expect(at(0.5)).toMatchObject({ delayMs: 10_500 });
    expect(at(0.999)).toMatchObject({ delayMs: 10_999 });
  });

  test('takes a Retry-After delay, capped at maxBackoff', () => {
    const h = node('h', { retry: { maxBackoff: 'PT30S' } });
    expect(decideAt(h, 1, failure(true, { retryAfterMs: 7000 }))).toMatchObject({ delayMs: 7000 });
    expect(decideAt(h, 1, failure(true, { retryAfterMs: 3_600_000 }))).toMatchObject({ delayMs: 30_000 });
  });

  test('fails a non-retryable error after one attempt, whatever attempts says', () => {
    const h = node('h', { retry: { attempts: 10 } });
    expect(decideAt(h, 1, failure(false))).toMatchObject({ kind: 'fail', error: { attempts: 1, retryable: false } });
  });

  test('with an error edge and no onError, takes error with the error and the node’s answer', () => {
    const t = decideAt(node('h', { retry: { attempts: 1 } }), 1, failure(true), true);
    expect(t).toMatchObject({
      kind: 'complete',
      outputs: ['error'],
      next: ['fallback'],
      end: null,
      error: { code: 'http.status-500', attempts: 1, retryable: true },
      output: { status: 500, body: 'down', error: { code: 'http.status-500', message: 'POST /c answered 500' } },
      run: { open: 0, waiting: 0 },
    });
    expect(t.counters).toEqual([
      { nodeId: 'h', failed: 1 },
      { nodeId: 'h', output: 'error', taken: 1 },
      { nodeId: 'fallback', entered: 1 },
    ]);
  });

  test('under onError output without an error edge, the token ends there and the run does not fail', () => {
    const t = decideAt(node('h', { onError: 'output', retry: { attempts: 1 } }), 1);
    expect(t).toMatchObject({ kind: 'complete', outputs: ['error'], next: [], run: { open: -1 } });
  });

  test('under onError continue, goes on along the first declared output with only the error', () => {
    const t = decideAt(node('h', { onError: 'continue', retry: { attempts: 1 } }), 1);
    expect(t).toMatchObject({ kind: 'complete', outputs: ['ok'], next: ['next'] });
    expect((t as { output: unknown }).output).toEqual({
      error: { code: 'http.status-500', message: 'POST /c answered 500', attempts: 1, retryable: true },
    });
  });

  test('under onError fail, fails the run even with an error edge', () => {
    expect(decideAt(node('h', { onError: 'fail', retry: { attempts: 1 } }), 1, failure(true), true).kind).toBe('fail');
  });

  test('a result naming an unknown output is an invalid result, handled by onError too', () => {
    const h = node('h', { onError: 'continue' });
    const t = decide(
      versionWith(h, false),
      { node: h, definition: call },
      { nodeId: 'h', attempts: 1 },
      {
        kind: 'next',
        outputs: ['maybe'],
        output: null,
      },
      policy,
    );
    expect(t).toMatchObject({ kind: 'complete', outputs: ['ok'], error: { code: 'node.invalid-result' } });
  });
});
