import { defineNode, eventNameSchema, filterSchema } from '@waymark/sdk';

/** Starts a run when an event with this name (and matching properties) is stored for a contact. */
export default defineNode({
  type: 'core.event',
  version: 1,
  kind: 'trigger',
  category: 'Triggers',
  summary: '{% if event %}When {{ event }} happens{% if filter %} with {{ filter | filter }}{% endif %}{% endif %}',
  title: 'Contact event',
  description: 'Starts a run when a matching event is stored for a contact.',
  inline: true,
  params: {
    type: 'object',
    properties: {
      event: { ...eventNameSchema, title: 'Event name' },
      filter: { ...filterSchema, title: 'Only when the properties match', filterContext: 'event' },
    },
    required: ['event'],
    additionalProperties: false,
  },
  outputs: ['out'],
  async run() {
    return { next: 'out' };
  },
});
