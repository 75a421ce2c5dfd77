import { defineNode, type Filter, filterSchema, type JsonValue, mentionsClause } from '@waymark/sdk';

/** Takes `yes` when the filter matches the contact (and the run's trigger and steps), else `no`. */
export default defineNode({
  type: 'core.condition',
  version: 1,
  kind: 'condition',
  category: 'Flow',
  summary: '{{ filter | filter }}',
  title: 'Condition',
  description: 'Branches on a filter over the contact, the trigger and earlier steps.',
  inline: true,
  params: {
    type: 'object',
    properties: {
      filter: { ...filterSchema, title: 'Condition', filterContext: 'condition' },
    },
    required: ['filter'],
    additionalProperties: false,
  },
  outputs: ['yes', 'no'],
  // The path's outputs are read for the batch only when a clause asks for one.
  readsSteps: (params) => mentionsClause(params.filter as unknown as Filter, ['step']),
  async run(ctx) {
    const filter = ctx.params.filter as unknown as Filter;
    const scope = { trigger: ctx.trigger, steps: ctx.steps };
    const matched = await ctx.contacts.matches(ctx.contact?.id ?? null, filter, scope);
    const output: JsonValue = { matched };
    return { next: matched ? 'yes' : 'no', output };
  },
});
