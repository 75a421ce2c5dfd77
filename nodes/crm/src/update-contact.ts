import { attributeSourceSchema, defineNode } from '@waymark/sdk';
import { contactIdOf } from './contact-id.js';

/** Sets contact attributes from templates (merged key by key), under a source the precedence lists rank. */
export default defineNode({
  type: 'crm.update-contact',
  version: 1,
  kind: 'action',
  category: 'Contacts',
  summary:
    "{% capture set %}{% for a in attributes %}{{ a[0] }}{% unless forloop.last %}, {% endunless %}{% endfor %}{% endcapture %}{% if set != '' %}Set {{ set }}{% endif %}",
  title: 'Update contact',
  description: 'Sets attributes on the contact, each from a template.',
  inline: true,
  params: {
    type: 'object',
    properties: {
      attributes: {
        type: 'object',
        title: 'Attributes',
        minProperties: 1,
        // `{{ trigger.score }}` alone writes 42, not "42"; a missing value writes nothing (nodes/README.md).
        additionalProperties: { type: 'string', format: 'template', templateValue: true },
      },
      source: {
        ...attributeSourceSchema,
        title: 'Source',
        description: 'The source the write names (default: the webhook trigger’s source, else journey)',
      },
    },
    required: ['attributes'],
    additionalProperties: false,
  },
  outputs: ['out'],
  readsSteps: false,
  async run(ctx) {
    const { attributes, source } = ctx.params;
    if (Object.keys(attributes).length > 0)
      await ctx.contacts.update(contactIdOf(ctx.contact), { attributes, ...(source ? { source } : {}) });
    return { next: 'out' };
  },
});
