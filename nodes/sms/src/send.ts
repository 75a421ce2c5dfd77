import { defineNode, type JsonValue, NodeError, subscriptionCategorySchema } from '@waymark/sdk';
import { gatewayDeliver } from './gateway-deliver.js';

/** Sends one SMS through an HTTP gateway, within the contact rules. */
export default defineNode({
  type: 'sms.send',
  version: 1,
  kind: 'action',
  category: 'Channels',
  title: 'Send SMS',
  description: 'Sends a text message to the contact’s phone through an HTTP gateway.',
  credentials: ['sms.http-gateway'],
  params: {
    type: 'object',
    properties: {
      credential: { type: 'string', format: 'credential', credentialType: 'sms.http-gateway', title: 'Gateway' },
      body: { type: 'string', format: 'template', minLength: 1, title: 'Message' },
      category: { enum: ['marketing', 'transactional'], default: 'marketing', title: 'Category' },
      subscription: {
        ...subscriptionCategorySchema,
        title: 'Subscription category',
        description: 'a marketing category (e.g. offers) a contact can unsubscribe from alone',
      },
    },
    required: ['credential', 'body', 'category'],
    additionalProperties: false,
  },
  outputs: ['sent', 'suppressed'],
  async run(ctx) {
    const { credential, body, category, subscription } = ctx.params;
    if (!ctx.contact?.phone) throw new NodeError('the contact has no phone number', { code: 'sms.no-phone' });
    const deliver = gatewayDeliver(ctx.http, await ctx.credentials.get(credential));
    const result = await ctx.messages.send({
      channel: 'sms',
      category,
      ...(subscription ? { subscription } : {}),
      text: body,
      deliver,
    });
    if (result.status === 'delayed' && result.until) return { wait: { until: result.until } };
    const output: JsonValue = {
      messageId: result.messageId,
      status: result.status,
      ...(result.reason ? { reason: result.reason } : {}),
    };
    return { next: result.status === 'suppressed' ? 'suppressed' : 'sent', output };
  },
});
