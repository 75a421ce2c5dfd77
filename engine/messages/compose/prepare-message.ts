import { type PreparedMessage, type SendRequest, withoutLinkMarks } from '@waymark/sdk';
import { textFromHtml } from '../../content/html-text.js';
import type { StoredLink } from '../../db/tables/messages.js';
import { bounceAddress, replyAddress } from '../../inbound/addresses.js';
import type { StepScope } from '../../services/step-scope.js';
import { defaultFrom } from './addresses.js';
import { prepareEmail } from './prepare-email.js';

/**
 * The message as it will be delivered: tracked links, pixel and unsubscribe for email.
 * Test runs show exactly this rendering without storing or sending it.
 */
export function prepareMessage(scope: StepScope, id: string, request: SendRequest, to: string) {
  const { config, keys } = scope.runtime;
  const from = request.from ?? defaultFrom(config.publicUrl);
  // One literal, keys added after by assignment: keys added after a spread (`{ ...base, html }`)
  // take a slow path on Node 20 (engine/README.md "Hot paths"), and this runs for every message.
  const prepared = (html?: string, text?: string, headers: Record<string, string> = {}): PreparedMessage => ({
    messageId: id,
    channel: request.channel,
    category: request.category,
    to,
    from,
    subject: request.subject,
    html,
    text,
    headers,
  });
  if (request.channel !== 'email')
    return { message: prepared(request.html, request.text, { ...request.headers }), links: [] as StoredLink[] };
  const email = prepareEmail({
    messageId: id,
    html: request.html,
    // Mail without a text part of its own gets one made from its html, as templates' does.
    text: request.text ?? (request.html === undefined ? undefined : textFromHtml(withoutLinkMarks(request.html))),
    marketing: request.category === 'marketing',
    publicUrl: config.publicUrl,
    keys,
    // Mail to another address than the contact's (a lead's owner) is not the contact's to open.
    tracked: request.to === undefined,
  });
  // With an inbound domain, replies come back by a token naming the message (only for mail to
  // the contact's own address: a lead's owner answering is no reply of the contact), and so do
  // delivery reports, to the envelope sender.
  const domain = config.inboundEmailDomain;
  const replyTo = request.replyTo ?? (domain && request.to === undefined ? replyAddress(keys, id, domain) : undefined);
  const message = prepared(email.html, email.text, Object.assign({}, request.headers, email.headers));
  if (replyTo) message.replyTo = replyTo;
  if (domain) message.envelopeFrom = bounceAddress(keys, id, domain);
  const specs = new Map((request.links ?? []).map((l) => [l.key, l]));
  const links = email.links.map((link) => {
    const spec = link.key === null ? undefined : specs.get(link.key);
    return spec ? { ...link, addTags: spec.addTags ?? [], addLists: spec.addLists ?? [] } : link;
  });
  return { message, links };
}
