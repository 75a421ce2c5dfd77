import { defineNode } from '@waymark/sdk';

/**
 * Sets the answer of the webhook call that started the run, when that call asked to wait for
 * it (`Prefer: wait=<seconds>`); the token goes on.
 */
export default defineNode({
  type: 'core.respond',
  version: 1,
  kind: 'action',
  category: 'Flow',
  summary: 'Answer {{ status | default: 200 }}',
  title: 'Respond to webhook',
  description: 'Answers the webhook call that started the run, if it waits for an answer; the run goes on.',
  inline: true,
  params: {
    type: 'object',
    properties: {
      status: { type: 'integer', minimum: 200, maximum: 599, default: 200, title: 'HTTP status' },
      body: {
        type: 'object',
        title: 'JSON body',
        additionalProperties: { type: 'string', format: 'template' },
        default: {},
      },
    },
    additionalProperties: false,
  },
  outputs: ['out'],
  async run(ctx) {
    return { next: 'out', output: { status: ctx.params.status ?? 200, body: ctx.params.body ?? {} } };
  },
});
