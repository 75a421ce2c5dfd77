import { randomUUID } from 'node:crypto';
import type { Contact, JsonObject } from '@waymark/sdk';
import { storeAndDeliver } from '../content/outgoing.js';
import { renderContent } from '../content/render.js';
import { loadSnippets } from '../content/snippets.js';
import { templateVersion } from '../content/templates.js';
import type { TemplateContent } from '../content/types.js';
import { defaultFrom } from '../messages/compose/addresses.js';
import { prepareEmail } from '../messages/compose/prepare-email.js';
import type { Runtime } from '../runtime.js';

const BUILT_IN: TemplateContent = {
  format: 'html',
  subject: 'Please confirm your subscription',
  body:
    '<p>Hello,</p><p>please confirm that you want to hear from us ({{ form.name }}):</p>' +
    '<p><a href="{{ confirmUrl }}">Yes, subscribe me</a></p><p>If you did not ask for this, ignore this email.</p>',
  text: null,
};

/**
 * Sends a double opt-in's confirmation mail: the form's template (or a built-in one) with
 * `contact`, `form`, `submission` and `confirmUrl` in scope, the link appended when the body
 * lacks it; a transactional message of the contact with no run or node.
 */
export async function sendConfirmationMail(
  runtime: Runtime,
  workspaceId: string,
  input: {
    contact: Contact;
    form: { id: string; name: string; confirmationTemplateId: string | null; confirmationFrom: string | null };
    submission: JsonObject;
    confirmUrl: string;
  },
): Promise<void> {
  const { db, keys, config } = runtime;
  const { contact, form, confirmUrl } = input;
  const stored = form.confirmationTemplateId
    ? await templateVersion(db, workspaceId, form.confirmationTemplateId)
    : null;
  const content = stored ?? BUILT_IN;
  const scope = {
    contact,
    trigger: {},
    steps: {},
    run: {},
    unsubscribeUrl: '',
    form: { id: form.id, name: form.name },
    submission: input.submission,
    confirmUrl,
  };
  let rendered = await renderContent({
    content,
    scope,
    snippets: await loadSnippets(db, workspaceId),
    publicUrl: config.publicUrl,
    marketing: false,
  });
  // A template that does not render still must not leave the person without their link; the
  // marketer learns of it from the log (a template parses when the form is saved, but may be
  // changed after, or fail only while rendering).
  if (rendered.fault) {
    runtime.logger.warn(
      { formId: form.id, templateId: form.confirmationTemplateId, problem: rendered.fault.problem.message },
      'the form’s confirmation template did not render: the built-in confirmation mail was sent',
    );
    rendered = await renderContent({
      content: BUILT_IN,
      scope,
      snippets: new Map(),
      publicUrl: config.publicUrl,
      marketing: false,
    });
  }
  let html = rendered.html ?? '';
  if (!html.includes(confirmUrl)) html += `<p><a href="${confirmUrl}">Confirm your subscription</a></p>`;
  const messageId = randomUUID();
  const email = prepareEmail({
    messageId,
    html,
    ...(rendered.text !== null ? { text: rendered.text } : {}),
    marketing: false,
    publicUrl: config.publicUrl,
    keys,
  });
  const text = email.text?.includes(confirmUrl) ? email.text : `${email.text ?? ''}\n\nConfirm: ${confirmUrl}\n`;
  await storeAndDeliver(
    db,
    { smtp: runtime.smtp, publicUrl: config.publicUrl },
    {
      id: messageId,
      workspaceId,
      contactId: contact.id,
      category: 'transactional',
      links: email.links,
      message: {
        messageId,
        channel: 'email',
        to: contact.email ?? '',
        from: form.confirmationFrom ?? defaultFrom(config.publicUrl),
        subject: rendered.subject ?? BUILT_IN.subject,
        ...(email.html !== undefined ? { html: email.html } : {}),
        text,
        headers: email.headers,
      },
    },
  );
}
