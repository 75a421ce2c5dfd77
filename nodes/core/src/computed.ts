import { defineNode } from '@waymark/sdk';

/** Contacts enter when a computed attribute's value changes into one that satisfies `becomes`. */
export default defineNode({
  type: 'core.computed',
  version: 1,
  kind: 'trigger',
  category: 'Triggers',
  title: 'Computed attribute changes',
  description: 'Contacts enter when a computed attribute becomes a value (e.g. churnRisk becomes "high").',
  inline: true,
  summary:
    '{% if attribute %}When computed {{ attribute }} {% if becomes %}becomes {{ becomes.op }}{% if becomes.value != nil %} {{ becomes.value }}{% endif %}{% else %}changes{% endif %}{% endif %}',
  params: {
    type: 'object',
    properties: {
      attribute: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$', title: 'Computed attribute' },
      becomes: {
        type: 'object',
        title: 'Becomes',
        description: 'a comparison as in a filter; without it, any change',
        properties: {
          op: { enum: ['eq', 'neq', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'contains', 'exists'] },
          value: {},
        },
        required: ['op'],
        additionalProperties: false,
      },
    },
    required: ['attribute'],
    additionalProperties: false,
  },
  outputs: ['out'],
  async run() {
    return { next: 'out' };
  },
});
