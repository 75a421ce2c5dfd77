import { randomUUID } from 'node:crypto';
import { type Contact, type JsonObject, NotFoundError, ValidationError } from '@waymark/sdk';
import { loadContact } from '../contacts/load.js';
import { contactIdFor } from '../contacts/merge/survivor.js';
import { type EmailLinks, prepareEmail } from '../messages/compose/prepare-email.js';
import type { Runtime } from '../runtime.js';
import { inlineContact } from '../test-runs/contact.js';
import type { InlineContact } from '../test-runs/types.js';
import { GMAIL_CLIP_BYTES } from './checks.js';
import { previewLinks } from './preview-links.js';
import { renderContent } from './render.js';
import { loadSnippets } from './snippets.js';
import { templateVersion } from './templates.js';
import type { Preview, TemplateContent } from './types.js';

/** What to preview: whose contact, which content (API.md "Preview and test send"). */
export interface PreviewRequest {
  contactId?: string;
  contact?: InlineContact;
  trigger?: JsonObject;
  category?: 'marketing' | 'transactional';
  version?: number;
  draft?: TemplateContent;
}

async function previewContact(runtime: Runtime, workspaceId: string, request: PreviewRequest): Promise<Contact> {
  if (request.contactId !== undefined && request.contact !== undefined)
    throw new ValidationError('give contactId or contact, not both', [
      { path: '/contact', message: 'contactId and contact both given' },
    ]);
  if (request.contactId !== undefined) {
    // A merged-away id previews its survivor, the contact a send to it reaches (identity.md).
    const id = await contactIdFor(runtime.db, workspaceId, request.contactId);
    const found = await loadContact(runtime.db, workspaceId, id);
    if (!found) throw new NotFoundError(`no contact ${request.contactId}`);
    return found;
  }
  return inlineContact(request.contact ?? {}, '/contact', runtime.clock.now());
}

/**
 * Renders a template (stored at its latest or `version`, or a `draft`) for a stored or typed
 * contact exactly as a send would, with preview links, and lists its problems. Nothing is
 * stored or sent.
 */
export async function previewTemplate(
  runtime: Runtime,
  workspaceId: string,
  id: string,
  request: PreviewRequest,
): Promise<Preview> {
  const { db, keys, config } = runtime;
  let content: TemplateContent | null = request.draft ?? null;
  if (!content) content = await templateVersion(db, workspaceId, id, request.version);
  if (!content) throw new NotFoundError(`no template ${id}${request.version ? ` at version ${request.version}` : ''}`);
  const contact = await previewContact(runtime, workspaceId, request);
  const marketing = (request.category ?? 'marketing') === 'marketing';
  const messageId = randomUUID();
  const links = previewLinks(keys, config.publicUrl, runtime.clock.now().getTime(), messageId);
  const now = runtime.clock.now().toISOString();
  const scope = {
    contact,
    trigger: request.trigger ?? {},
    steps: {},
    run: { id: randomUUID(), journeyId: null, version: null, startedAt: now },
    unsubscribeUrl: marketing ? links.unsubscribe() : '',
  };
  const rendered = await renderContent({
    content: { ...content, text: content.text ?? null },
    scope,
    snippets: await loadSnippets(db, workspaceId),
    publicUrl: config.publicUrl,
    marketing,
  });
  const prepare = (preview?: EmailLinks) =>
    prepareEmail({
      messageId,
      ...(rendered.html !== null ? { html: rendered.html } : {}),
      ...(rendered.text !== null ? { text: rendered.text } : {}),
      marketing,
      publicUrl: config.publicUrl,
      keys,
      ...(preview ? { links: preview } : {}),
    });
  const email = prepare(links);
  const html = rendered.html === null ? null : (email.html ?? null);
  // The size a send delivers, measured with production's click links: a preview's carry their
  // target and are longer. The pixel and unsubscribe link are production's form already.
  const size = html === null ? 0 : Buffer.byteLength(prepare().html ?? '', 'utf8');
  const problems = [...rendered.problems];
  if (size > GMAIL_CLIP_BYTES)
    problems.push({
      code: 'html-too-large',
      severity: 'warning',
      message: `the HTML is ${size} bytes; Gmail clips messages over ${GMAIL_CLIP_BYTES}`,
      size,
    });
  return {
    subject: rendered.subject,
    html,
    text: rendered.text === null ? null : (email.text ?? null),
    size,
    problems,
    headers: email.headers,
  };
}
