import { defineNode, listSchema } from '@waymark/sdk';
import { contactIdOf } from './contact-id.js';

/** Adds the contact to a static list or removes it. */
export default defineNode({
  type: 'crm.list',
  version: 1,
  kind: 'action',
  category: 'Contacts',
  summary: "{% if list %}{% if action == 'remove' %}Remove from{% else %}Add to{% endif %} list {{ list }}{% endif %}",
  title: 'List membership',
  description: 'Adds the contact to a list or removes it.',
  inline: true,
  params: {
    type: 'object',
    properties: {
      action: { enum: ['add', 'remove'], default: 'add', title: 'Action' },
      list: { ...listSchema, title: 'List' },
    },
    required: ['action', 'list'],
    additionalProperties: false,
  },
  outputs: ['out'],
  readsSteps: false,
  async run(ctx) {
    const { action, list } = ctx.params;
    const contactId = contactIdOf(ctx.contact);
    if (action === 'add') await ctx.contacts.addToList(contactId, list);
    else await ctx.contacts.removeFromList(contactId, list);
    return { next: 'out' };
  },
});
