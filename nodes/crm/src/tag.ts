import { defineNode, parseDuration, tagSchema } from '@waymark/sdk';
import { contactIdOf } from './contact-id.js';

/** Adds or removes a tag; an added tag may expire. */
export default defineNode({
  type: 'crm.tag',
  version: 1,
  kind: 'action',
  category: 'Contacts',
  summary:
    "{% if tag %}{% if action == 'remove' %}Remove{% else %}Add{% endif %} tag {{ tag }}{% if ttl %} for {{ ttl | duration }}{% endif %}{% endif %}",
  title: 'Tag contact',
  description: 'Adds or removes a tag; an added tag may expire.',
  inline: true,
  params: {
    type: 'object',
    properties: {
      action: { enum: ['add', 'remove'], default: 'add', title: 'Action' },
      tag: { ...tagSchema, title: 'Tag' },
      ttl: { type: 'string', format: 'duration', title: 'Expires after' },
    },
    required: ['action', 'tag'],
    additionalProperties: false,
  },
  // A tag that expires as it is added is never active: the step did nothing, without a word
  // (the tags API refuses a lifespan of zero too).
  validate(params) {
    return params.ttl !== undefined && parseDuration(params.ttl) === 0
      ? [
          {
            path: '/ttl',
            message: `the ttl must be longer than zero (got "${params.ttl}"); leave it out for the tag's own lifespan`,
          },
        ]
      : [];
  },
  outputs: ['out'],
  readsSteps: false,
  async run(ctx) {
    const { action, tag, ttl } = ctx.params;
    const contactId = contactIdOf(ctx.contact);
    if (action === 'add') await ctx.contacts.addTag(contactId, tag, ttl ? { ttl } : {});
    else await ctx.contacts.removeTag(contactId, tag);
    return { next: 'out' };
  },
});
