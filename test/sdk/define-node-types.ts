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

// What the SDK's services and `ctx` hand a node (a contact, an event, a tag's state, a lead,
// the run) goes into its `output` as it is, and several returns may have outputs of different
// shapes (TypeScript reads the keys one lacks as `?: undefined`): the engine stores any JSON.
export const passesOn = defineNode({
  type: 'acme.passes-on',
  version: 1,
  kind: 'wait',
  title: 'Passes on',
  description: 'outputs what the services answered',
  category: 'Test',
  params: { type: 'object', properties: {} },
  outputs: ['out'],
  async run(ctx) {
    if (ctx.resume?.kind === 'event') return { next: 'out', output: { event: ctx.resume.event } };
    if (ctx.resume) return { next: 'out', output: { timedOut: true } };
    const id = ctx.contact?.id ?? '';
    const tag = await ctx.contacts.addTag(id, 'seen');
    const event = await ctx.contacts.recordEvent(id, 'seen');
    const lead = await ctx.leads.create({ title: 'Lead', owners: ['ada'], assign: 'first' });
    return { next: 'out', output: { contact: ctx.contact, tag, event, lead, run: ctx.run } };
  },
});
