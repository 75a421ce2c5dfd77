import { defineNode, type NodeContext } from '@waymark/sdk';
import { describe, expect, test } from 'vitest';
import { invokeNode } from '../../../engine/runs/node/invoke.js';

/** A node that waits for its step's abort signal, read at `readAfterMs`, and answers how it saw it end. */
const waiter = (readAfterMs: number) =>
  defineNode({
    type: 'tst.waiter',
    version: 1,
    kind: 'action',
    title: 'Waiter',
    description: '',
    category: 'Test',
    timeoutMs: 50,
    params: { type: 'object' },
    outputs: ['out'],
    async run(ctx) {
      await new Promise((resolve) => setTimeout(resolve, readAfterMs));
      const signal = ctx.signal;
      if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve));
      seen.push(String((signal.reason as Error).message));
      return { next: 'out' };
    },
  });
const seen: string[] = [];
const context = (signal: () => AbortSignal) =>
  Promise.resolve({
    get signal() {
      return signal();
    },
  } as unknown as NodeContext<never>);

describe('a node under its time limit', () => {
  test('a node that read ctx.signal before the limit sees it abort when the step times out', async () => {
    seen.length = 0;
    const outcome = await invokeNode(waiter(0), context);
    expect(outcome).toMatchObject({ kind: 'error', retryable: true, error: { code: 'node.timeout' } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual(['the step timed out after 50 ms']);
  });

  test('a node that reads ctx.signal only after the limit finds it already aborted', async () => {
    seen.length = 0;
    await invokeNode(waiter(100), context);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(seen).toEqual(['the step timed out after 50 ms']);
  });
});
