import { defineNode, type JsonValue } from '@waymark/sdk';

/** The notification mail's text: names the lead and the contact. */
function notice(title: string, contactEmail: string | null) {
  const who = contactEmail ?? 'an anonymous contact';
  return {
    subject: `New lead: ${title}`,
    text: `You have a new lead: ${title}\nContact: ${who}\n`,
  };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' }[c]};`);

/** Creates a lead for a salesperson, assigned round-robin or to the first owner, and may email them. */
export default defineNode({
  type: 'crm.create-lead',
  version: 1,
  kind: 'action',
  category: 'Contacts',
  summary:
    "{% if title %}Lead “{{ title }}”{% if owners.size > 0 %} for {{ owners | join: ', ' }}{% endif %}{% endif %}",
  title: 'Create lead',
  description: 'Creates a lead for a salesperson and optionally emails them.',
  params: {
    type: 'object',
    properties: {
      title: { type: 'string', format: 'template', minLength: 1, title: 'Title' },
      owners: {
        type: 'array',
        title: 'Owners (salespeople’s emails)',
        minItems: 1,
        items: { type: 'string', format: 'email' },
      },
      assign: { enum: ['round-robin', 'first'], default: 'round-robin', title: 'Assign' },
      notify: { type: 'boolean', default: false, title: 'Email the owner' },
    },
    required: ['title', 'owners', 'assign'],
    additionalProperties: false,
  },
  outputs: ['out'],
  async run(ctx) {
    const { title, owners, assign, notify } = ctx.params;
    const lead = await ctx.leads.create({ title, owners, assign });
    if (notify) {
      const { subject, text } = notice(title, ctx.contact?.email ?? null);
      await ctx.messages.send({
        channel: 'email',
        category: 'transactional',
        to: lead.owner,
        // The owner takes over by answering: the answer goes to the contact.
        ...(ctx.contact?.email ? { replyTo: ctx.contact.email } : {}),
        subject,
        text,
        html: `<p>${escapeHtml(text).replace(/\n/g, '<br>')}</p>`,
      });
    }
    const output: JsonValue = { leadId: lead.id, owner: lead.owner };
    return { next: 'out', output };
  },
});
