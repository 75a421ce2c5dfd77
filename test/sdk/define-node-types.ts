// Type tests, checked by `npm run check` (tsc): defineNode infers ctx.params from the params
// schema and refuses a `next` that names no declared output.
import { defineNode } from '@waymark/sdk';

const params = {
  type: 'object',
  properties: { text: { type: 'string', format: 'template' }, times: { type: 'integer' } },
  required: ['text'],
  additionalProperties: false,
} as const;

export const typed = defineNode({
  type: 'acme.typed',
  version: 1,
  kind: 'action',
  title: 'Typed',
  description: 'ctx.params follows the schema',
  category: 'Test',
  params,
  outputs: ['out', 'other'],
  async run(ctx) {
    const text: string = ctx.params.text;
    const times: number | undefined = ctx.params.times;
    // @ts-expect-error text is a string, not a number
    const wrong: number = ctx.params.text;
    return { next: times ? 'out' : 'other', output: { text, wrong } };
  },
});

// @ts-expect-error 'outt' is not one of the declared outputs
export const misspelt = defineNode({
  type: 'acme.misspelt',
  version: 1,
  kind: 'action',
  title: 'Misspelt',
  description: 'next must name a declared output',
  category: 'Test',
  params,
  outputs: ['out'],
  async run() {
    return { next: 'outt' };
  },
});

export const dynamic = defineNode({
  type: 'acme.dynamic',
  version: 1,
  kind: 'condition',
  title: 'Dynamic',
  description: 'outputs computed from params',
  category: 'Test',
  params: {
    type: 'object',
    properties: { keys: { type: 'array', items: { type: 'string' } } },
    required: ['keys'],
    additionalProperties: false,
  },
  outputs: (p) => p.keys,
  async run(ctx) {
    return { next: ctx.params.keys[0] ?? 'none' };
  },
});
