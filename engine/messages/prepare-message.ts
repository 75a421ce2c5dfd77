import type { PreparedMessage, SendRequest } from '@waymark/sdk';
import type { StoredLink } from '../db/tables/messages.js';
import { bounceAddress, replyAddress } from '../inbound/addresses.js';
import type { StepScope } from '../services/step-scope.js';
import { mailDomain } from './deliver.js';
import { prepareEmail } from './prepare-email.js';

/**
 * The message as it will be delivered: tracked links, pixel and unsubscribe for email.
 * Test runs show exactly this rendering without storing or sending it.
 */
export function prepareMessage(scope: StepScope, id: string, request: SendRequest, to: string) {
  const { config, keys } = scope.runtime;
  const base = {
    messageId: id,
    channel: request.channel,
    category: request.category,
    to,
    from: request.from ?? `Waymark <waymark@${mailDomain(config.publicUrl)}>`,
    subject: request.subject,
  };
  if (request.channel !== 'email') {
    const message: PreparedMessage = {
      ...base,
      html: request.html,
      text: request.text,
      headers: { ...request.headers },
    };
    return { message, links: [] as StoredLink[] };
  }
  const email = prepareEmail({
    messageId: id,
    html: request.html,
    text: request.text,
    marketing: request.category === 'marketing',
    publicUrl: config.publicUrl,
    keys,
  });
  // With an inbound domain, replies come back by a token naming the message (only for mail to
  // the contact's own address: a lead's owner answering is no reply of the contact), and so do
  // delivery reports, to the envelope sender.
  const domain = config.inboundEmailDomain;
  const replyTo = request.replyTo ?? (domain && request.to === undefined ? replyAddress(keys, id, domain) : undefined);
  const message: PreparedMessage = {
    ...base,
    ...(replyTo ? { replyTo } : {}),
    ...(domain ? { envelopeFrom: bounceAddress(keys, id, domain) } : {}),
    html: email.html,
    text: email.text,
    headers: { ...request.headers, ...email.headers },
  };
  const specs = new Map((request.links ?? []).map((l) => [l.key, l]));
  const links = email.links.map((link) => {
    const spec = link.key === null ? undefined : specs.get(link.key);
    return spec ? { ...link, addTags: spec.addTags ?? [], addLists: spec.addLists ?? [] } : link;
  });
  return { message, links };
}
