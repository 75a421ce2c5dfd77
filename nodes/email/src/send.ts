import {
  defineNode,
  isMailbox,
  type JsonValue,
  listSchema,
  NodeError,
  notMailbox,
  type SendResult,
  sendWait,
  subscriptionCategorySchema,
  tagSchema,
} from '@waymark/sdk';

/** What the step passes on: the message id, and the reason when it was suppressed. */
function outputOf(result: SendResult): JsonValue {
  return { messageId: result.messageId, status: result.status, ...(result.reason ? { reason: result.reason } : {}) };
}

/** Sends one email through the contact rules; links and opens are tracked by the engine. */
export default defineNode({
  type: 'email.send',
  version: 1,
  kind: 'action',
  sendsMessages: true,
  category: 'Channels',
  summary:
    '{% if subject %}{{ subject }}{% elsif template %}Template {{ template }}{% endif %}{% if from %}{% if subject or template %} — {% endif %}from {{ from }}{% endif %}',
  title: 'Send email',
  description: 'Sends an email to the contact, within consent, caps and quiet hours.',
  params: {
    type: 'object',
    properties: {
      from: { type: 'string', minLength: 3, title: 'From', examples: ['News <news@example.com>'] },
      template: {
        type: 'string',
        format: 'email-template',
        minLength: 1,
        title: 'Template',
        description: 'a stored email template (instead of html and text); subject, when given, replaces its subject',
      },
      templateVersion: {
        type: 'integer',
        minimum: 1,
        title: 'Template version',
        description: 'default: the latest at send time',
      },
      subject: { type: 'string', format: 'template', contentMediaType: 'text/plain', minLength: 1, title: 'Subject' },
      // An HTML template: every output HTML-escaped unless `| raw`; only its own links are tracked.
      html: { type: 'string', format: 'template', contentMediaType: 'text/html', minLength: 1, title: 'HTML body' },
      text: { type: 'string', format: 'template', contentMediaType: 'text/plain', title: 'Plain text body' },
      replyTo: { type: 'string', title: 'Reply-To' },
      category: { enum: ['marketing', 'transactional'], default: 'marketing', title: 'Category' },
      subscription: {
        ...subscriptionCategorySchema,
        title: 'Subscription category',
        description: 'a marketing category (e.g. newsletter) a contact can unsubscribe from alone',
      },
      links: {
        type: 'array',
        title: 'Tracked links',
        items: {
          type: 'object',
          properties: {
            key: { type: 'string', minLength: 1, title: 'Key (data-waymark-key)' },
            addTags: { type: 'array', items: tagSchema, title: 'Tag on click' },
            addLists: { type: 'array', items: listSchema, title: 'Add to lists on click' },
          },
          required: ['key'],
          additionalProperties: false,
        },
      },
      credential: {
        type: 'string',
        format: 'credential',
        credentialChannel: 'email',
        title: 'Sender',
        description: 'an SMTP server or an email provider (SES, Postmark, SendGrid, Mailgun); default SMTP_URL',
      },
    },
    required: ['from', 'category'],
    // With a template, html and text come from it; without one, subject and html are needed.
    if: { required: ['template'] },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, not a thenable
    then: { not: { anyOf: [{ required: ['html'] }, { required: ['text'] }] } },
    else: { required: ['subject', 'html'] },
    additionalProperties: false,
  },
  // The messages service sends the tokens running together as a group (one statement for their
  // contacts, rules and rows), and SMTP connections are pooled: a whole batch at once.
  concurrency: 100,
  outputs: ['sent', 'suppressed'],
  // An address no mail server can take is said at publish, not found out by the recipients.
  validate(params) {
    const problems = [];
    for (const key of ['from', 'replyTo'] as const) {
      const value = params[key];
      if (value !== undefined && !isMailbox(value)) problems.push({ path: `/${key}`, message: notMailbox(`/${key}`) });
    }
    return problems;
  },
  async run(ctx) {
    const { from, subject, html, text, replyTo, category, subscription, links, credential, template } = ctx.params;
    if (!ctx.contact?.email) throw new NodeError('the contact has no email address', { code: 'email.no-address' });
    const result = await ctx.messages.send({
      channel: 'email',
      category,
      ...(subscription ? { subscription } : {}),
      from,
      ...(subject ? { subject } : {}),
      ...(html ? { html } : {}),
      ...(text ? { text } : {}),
      ...(template
        ? {
            template: {
              id: template,
              ...(ctx.params.templateVersion ? { version: ctx.params.templateVersion } : {}),
              scope: { contact: ctx.contact, trigger: ctx.trigger, steps: ctx.steps, run: ctx.run },
            },
          }
        : {}),
      ...(replyTo ? { replyTo } : {}),
      ...(links ? { links } : {}),
      ...(credential ? { credential } : {}),
    });
    const wait = sendWait(result);
    if (wait) return wait;
    const output = outputOf(result);
    return { next: result.status === 'suppressed' ? 'suppressed' : 'sent', output };
  },
});
