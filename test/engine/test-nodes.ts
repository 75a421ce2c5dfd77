import { defineNode, definePackage, NodeError, RetryableError } from '@waymark/sdk';

/** Calls of the test nodes, by step idempotency key, to check what ran and how often. */
export const calls: { nodeId: string; key: string; attempt: number; resume: string | null }[] = [];
export const flaky = new Map<string, number>();

const text = { type: 'object', properties: { label: { type: 'string', format: 'template' } } } as const;

export const testPackage = definePackage({
  name: 'test-nodes',
  version: '1.0.0',
  nodes: [
    defineNode({
      type: 'tst.trigger',
      version: 1,
      kind: 'trigger',
      title: 'Trigger',
      description: '',
      category: 'Test',
      params: { type: 'object', properties: { secret: { type: 'string' }, schema: { type: 'object' } } },
      outputs: ['out'],
      async run() {
        return { next: 'out' };
      },
    }),
    defineNode({
      type: 'tst.step',
      version: 1,
      kind: 'action',
      title: 'Step',
      description: '',
      category: 'Test',
      params: text,
      outputs: ['out'],
      async run(ctx) {
        calls.push({ nodeId: ctx.node.id, key: ctx.idempotencyKey, attempt: ctx.attempt, resume: null });
        return { next: 'out', output: { label: ctx.params.label ?? null, seen: Object.keys(ctx.steps).sort() } };
      },
    }),
    defineNode({
      type: 'tst.if',
      version: 1,
      kind: 'condition',
      title: 'If',
      description: '',
      category: 'Test',
      inline: true,
      params: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
      outputs: ['yes', 'no'],
      async run(ctx) {
        return { next: ctx.trigger[ctx.params.key] ? 'yes' : 'no' };
      },
    }),
    defineNode({
      type: 'tst.both',
      version: 1,
      kind: 'condition',
      title: 'Both',
      description: '',
      category: 'Test',
      params: { type: 'object' },
      outputs: ['a', 'b'],
      async run() {
        return { next: ['a', 'b'] };
      },
    }),
    defineNode({
      type: 'tst.sleep',
      version: 1,
      kind: 'wait',
      title: 'Sleep',
      description: '',
      category: 'Test',
      params: { type: 'object', properties: { ms: { type: 'number' } }, required: ['ms'] },
      outputs: ['out'],
      async run(ctx) {
        if (ctx.resume?.kind === 'time') return { next: 'out', output: { woke: ctx.now().toISOString() } };
        return { wait: { until: new Date(ctx.now().getTime() + ctx.params.ms) } };
      },
    }),
    defineNode({
      type: 'tst.await',
      version: 1,
      kind: 'wait',
      title: 'Await',
      description: '',
      category: 'Test',
      params: {
        type: 'object',
        properties: { event: { type: 'string' }, ms: { type: 'number' }, filter: { type: 'object' } },
        required: ['event', 'ms'],
      },
      outputs: ['event', 'timeout'],
      async run(ctx) {
        if (ctx.resume?.kind === 'event') return { next: 'event', output: { event: ctx.resume.event.properties } };
        if (ctx.resume?.kind === 'timeout') return { next: 'timeout' };
        const filter = ctx.params.filter as never;
        return {
          wait: {
            event: ctx.params.event,
            ...(filter ? { filter } : {}),
            timeoutAt: new Date(Date.now() + ctx.params.ms),
          },
        };
      },
    }),
    defineNode({
      type: 'tst.flaky',
      version: 1,
      kind: 'action',
      title: 'Flaky',
      description: '',
      category: 'Test',
      maxAttempts: 3,
      params: { type: 'object', properties: { failures: { type: 'number' }, final: { type: 'boolean' } } },
      outputs: ['out'],
      async run(ctx) {
        calls.push({ nodeId: ctx.node.id, key: ctx.idempotencyKey, attempt: ctx.attempt, resume: null });
        if (ctx.params.final) throw new NodeError('this is final');
        if (ctx.attempt <= (ctx.params.failures ?? 0)) throw new RetryableError(`gateway said no (${ctx.attempt})`);
        return { next: 'out', output: { attempt: ctx.attempt } };
      },
    }),
    defineNode({
      type: 'tst.garbage',
      version: 1,
      kind: 'action',
      title: 'Garbage',
      description: '',
      category: 'Test',
      params: { type: 'object' },
      outputs: ['out'],
      async run() {
        return 42 as never;
      },
    }),
    defineNode({
      type: 'tst.hang',
      version: 1,
      kind: 'action',
      title: 'Hang',
      description: '',
      category: 'Test',
      timeoutMs: 200,
      maxAttempts: 2,
      params: { type: 'object' },
      outputs: ['out'],
      async run() {
        await new Promise(() => {});
        return { next: 'out' };
      },
    }),
    defineNode({
      type: 'tst.slow',
      version: 1,
      kind: 'action',
      title: 'Slow',
      description: '',
      category: 'Test',
      params: { type: 'object', properties: { ms: { type: 'number' } } },
      outputs: ['out'],
      async run(ctx) {
        await new Promise((r) => setTimeout(r, ctx.params.ms ?? 300));
        return { next: 'out', output: { slept: true } };
      },
    }),
  ],
});
