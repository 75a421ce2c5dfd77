import { defineNode, ValidationError } from '@waymark/sdk';
import { runNode } from '@waymark/sdk/testing';
import { expect, test } from 'vitest';

const shout = defineNode({
  type: 'acme.shout',
  version: 1,
  kind: 'action',
  title: 'Shout',
  description: 'Upper-cases a text.',
  category: 'Acme',
  params: {
    type: 'object',
    properties: { text: { type: 'string' }, times: { type: 'integer', minimum: 1 } },
    required: ['text'],
    additionalProperties: false,
  },
  outputs: ['out'],
  async run(ctx) {
    return { next: 'out', output: { shouted: ctx.params.text.toUpperCase() } };
  },
});

test('runNode names a missing and an unknown param at their own pointers, as graph validation does', async () => {
  const error = await runNode(shout, { params: { txet: 'hi', times: 0 } }).catch((e: unknown) => e);
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
