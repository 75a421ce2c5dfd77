import { defineNode, ValidationError } from '@waymark/sdk';
import { runNode } from '@waymark/sdk/testing';
import { expect, test } from 'vitest';

// A node whose params a test gets wrong: a misspelt key, a required one left out, a bound broken.
const repeat = defineNode({
  category: 'Acme',
  type: 'acme.repeat',
  title: 'Repeat',
  description: 'Repeats a text.',
  version: 1,
  kind: 'action',
  params: {
    type: 'object',
    properties: { text: { type: 'string' }, times: { type: 'integer', minimum: 1 } },
    required: ['text'],
    additionalProperties: false,
  },
  outputs: ['out'],
  async run(ctx) {
    return { next: 'out', output: { repeated: ctx.params.text.repeat(ctx.params.times ?? 2) } };
  },
});

test('runNode names a missing and an unknown param at their own pointers, as graph validation does', async () => {
  const error = await runNode(repeat, { params: { txet: 'hi', times: 0 } }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  expect(error).toMatchObject({
    message: 'params are invalid: /text is required; /txet is not a known param; /times must be >= 1',
    details: [
      { path: '/text', message: 'is required' },
      { path: '/txet', message: 'is not a known param' },
      { path: '/times', message: 'must be >= 1' },
    ],
  });
});
