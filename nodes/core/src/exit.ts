import { defineNode } from '@waymark/sdk';

/** Ends the token here; `goal` becomes the run's outcome. */
export default defineNode({
  type: 'core.exit',
  version: 1,
  kind: 'action',
  category: 'Flow',
  summary: '{% if goal %}Goal: {{ goal }}{% else %}End{% endif %}',
  title: 'Exit',
  description: 'Ends the run here, recording a goal as its outcome.',
  inline: true,
  endsRun: true,
  readsContact: false,
  readsSteps: false,
  params: {
    type: 'object',
    properties: {
      goal: { type: 'string', minLength: 1, title: 'Goal reached', examples: ['purchased'] },
    },
    additionalProperties: false,
  },
  outputs: [],
  async run(ctx) {
    return { next: [], output: { goal: ctx.params.goal ?? null } };
  },
});
