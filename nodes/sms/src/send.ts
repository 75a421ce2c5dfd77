import { defineNode, type JsonValue, NodeError, sendWait, subscriptionCategorySchema } from '@waymark/sdk';

/** Sends one SMS through a sending credential (an HTTP gateway, Twilio), within the contact rules. */
export default defineNode({
  type: 'sms.send',
  version: 1,
  kind: 'action',
  sendsMessages: true,
  category: 'Channels',
  summary: '{{ body }}',
  title: 'Send SMS',
  description: 'Sends a text message to the contact’s phone through an HTTP gateway.',
  params: {
    type: 'object',
    properties: {
      credential: {
        type: 'string',
        format: 'credential',
        credentialChannel: 'sms',
        title: 'Sender',
        description: 'an HTTP SMS gateway or Twilio',
      },
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
  // The messages service sends the tokens running together as a group (one statement for their
  // contacts, rules and rows), and SMTP connections are pooled: a whole batch at once.
  concurrency: 100,
  outputs: ['sent', 'suppressed'],
  async run(ctx) {
    const { credential, body, category, subscription } = ctx.params;
    if (!ctx.contact?.phone) throw new NodeError('the contact has no phone number', { code: 'sms.no-phone' });
    const result = await ctx.messages.send({
      channel: 'sms',
      category,
      ...(subscription ? { subscription } : {}),
      text: body,
      credential,
    });
    const wait = sendWait(result);
    if (wait) return wait;
    const output: JsonValue = {
      messageId: result.messageId,
      status: result.status,
      ...(result.reason ? { reason: result.reason } : {}),
    };
    return { next: result.status === 'suppressed' ? 'suppressed' : 'sent', output };
  },
});
