import { defineNode, filterSchema, parseDuration } from '@waymark/sdk';

/** Contacts that newly match the filter enter; the engine evaluates it every `every`. */
export default defineNode({
  type: 'core.segment',
  version: 1,
  kind: 'trigger',
  category: 'Triggers',
  summary:
    '{% if filter %}Contacts who become {{ filter | filter }}{% if every %} · checked every {{ every | duration }}{% endif %}{% endif %}',
  title: 'Segment entry',
  description: 'Contacts that newly match a filter enter the journey.',
  inline: true,
  params: {
    type: 'object',
    properties: {
      filter: { ...filterSchema, title: 'Segment', filterContext: 'segment' },
      every: {
        type: 'string',
        format: 'duration',
        default: 'PT5M',
        title: 'Evaluate every',
        description: 'At least PT1S',
      },
    },
    required: ['filter', 'every'],
    additionalProperties: false,
  },
  outputs: ['out'],
  validate: (params) =>
    (parseDuration(params.every) ?? 0) >= 1000 ? [] : [{ path: '/every', message: 'every must be at least PT1S' }],
  async run() {
    return { next: 'out' };
  },
});
