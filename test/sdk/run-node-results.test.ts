import { defineNode, NodeError } from '@waymark/sdk';
import { runNode } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';

/** A third party's split whose result its `answer` param picks, right or wrong. */
const split = defineNode({
  type: 'acme.split',
  version: 1,
  kind: 'condition',
  category: 'Acme',
  title: 'Split',
  description: 'Takes the output its params name.',
  params: {
    type: 'object',
    properties: {
      buckets: { type: 'array', items: { type: 'string' }, default: ['low', 'high'] },
      answer: { type: 'string', enum: ['misspelt', 'bucket', 'no-date', 'far-wait', 'not-json'] },
    },
    required: ['answer'],
  },
  outputs: (params) => params.buckets,
  async run(ctx) {
    const far = new Date(Date.UTC(10000, 0, 1));
    switch (ctx.params.answer) {
      case 'misspelt':
        return { next: 'hihg' };
      case 'no-date':
        return { wait: { until: new Date('not a date') } };
      case 'far-wait':
        return { wait: { until: far } };
      case 'not-json':
        return { next: 'low', output: { n: 10n } as never };
      default:
        return { next: ctx.params.buckets[1] as string };
    }
  },
});

const failure = (answer: string, buckets?: string[]) =>
  runNode(split, { params: { answer, ...(buckets ? { buckets } : {}) } }).then(
    () => null,
    (error: unknown) => error,
  );

describe('runNode refuses a result the engine would fail the step for (node.invalid-result)', () => {
  test('a next naming no output of the node fails, listing the outputs it has', async () => {
    const error = await failure('misspelt');
    expect(error).toBeInstanceOf(NodeError);
    expect(error).toMatchObject({
      stepCode: 'node.invalid-result',
      message: 'the node returned an invalid result: unknown output(s) hihg (its outputs are low, high)',
    });
  });

  test("the outputs are those of the node's params, defaults filled", async () => {
    expect(await failure('bucket', ['a', 'b'])).toBeNull();
    expect(await failure('misspelt', ['a', 'b'])).toMatchObject({
      message: expect.stringContaining('(its outputs are a, b)'),
    });
  });

  test('a wait whose until is not a valid Date fails', async () => {
    expect(await failure('no-date')).toMatchObject({
      stepCode: 'node.invalid-result',
      message: 'the node returned an invalid result: wait.until must be a valid Date',
    });
  });

  test('a wait past the 1,000-year bound fails', async () => {
    expect(await failure('far-wait')).toMatchObject({
      stepCode: 'node.invalid-result',
      message: expect.stringContaining('wait.until must be at most 1000 years (P365250D) from now'),
    });
  });

  test('an output that is not JSON fails', async () => {
    expect(await failure('not-json')).toMatchObject({
      stepCode: 'node.invalid-result',
      message: 'the node returned an invalid result: output is not JSON',
    });
  });
});
