import { defineNode } from '@waymark/sdk';

/** Yearly on a date attribute (a birthday), shifted by `offsetDays`, at `at` in the contact's time zone. */
export default defineNode({
  type: 'core.date',
  version: 1,
  kind: 'trigger',
  category: 'Triggers',
  summary:
    '{% if attribute %}{% if offsetDays and offsetDays != 0 %}{{ offsetDays }} days from{% else %}On{% endif %} {{ attribute }}{% if at %} at {{ at }}{% endif %}{% endif %}',
  title: 'Date attribute',
  description: 'Enters each contact yearly on a date attribute such as a birthday.',
  inline: true,
  params: {
    type: 'object',
    properties: {
      attribute: { type: 'string', minLength: 1, title: 'Date attribute', examples: ['birthday'] },
      offsetDays: { type: 'integer', minimum: -365, maximum: 365, default: 0, title: 'Days before (−) or after (+)' },
      at: {
        type: 'string',
        pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
        default: '09:00',
        title: 'At (contact’s time)',
      },
    },
    required: ['attribute', 'offsetDays', 'at'],
    additionalProperties: false,
  },
  outputs: ['out'],
  async run() {
    return { next: 'out' };
  },
});
