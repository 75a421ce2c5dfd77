import { attributeSourceSchema, defineNode } from '@waymark/sdk';

/** Starts a run for each authenticated POST to `/hooks/<journeyId>/<nodeId>`; the payload is the trigger. */
export default defineNode({
  type: 'core.webhook',
  version: 1,
  kind: 'trigger',
  category: 'Triggers',
  summary: 'When the webhook is called{% if schema %} (payload checked){% endif %}',
  title: 'Webhook',
  description: 'Starts a run for each authenticated POST to the journey’s webhook URL.',
  inline: true,
  triggerOutput: 'out',
  params: {
    type: 'object',
    properties: {
      secret: {
        type: 'string',
        minLength: 16,
        title: 'Secret',
        description: 'Sent as X-Waymark-Secret or used for the HMAC signature',
        // Knowing it is the power to start runs: shown only to whoever may change the journey.
        writeOnly: true,
      },
      schema: {
        type: 'object',
        format: 'json-schema',
        title: 'Payload schema',
        description: 'JSON Schema the payload must satisfy',
      },
      source: {
        ...attributeSourceSchema,
        default: 'webhook',
        title: 'Source',
        description: 'The source contact writes of its runs name, ranked by the attribute source lists',
      },
    },
    required: ['secret'],
    additionalProperties: false,
  },
  outputs: ['out'],
  async run() {
    return { next: 'out' };
  },
});
