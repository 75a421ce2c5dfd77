import { LINK_MARK_ATTRIBUTE, linkMarkOf, UNSUBSCRIBE_URL_PLACEHOLDER, withoutLinkMarks } from '@waymark/sdk';
import { decodeHTMLAttribute } from 'entities';
import type { SecretKeys } from '../../config/secret-key.js';
import type { StoredLink } from '../../db/tables/messages.js';
import { signToken } from '../tracking/tokens.js';
import { isUnsubscribeLink } from './unsubscribe-link.js';

/** What the email part of the gate adds to a message before it is delivered. */
export interface PreparedEmail {
  html: string | undefined;
  text: string | undefined;
  headers: Record<string, string>;
  links: StoredLink[];
}

/** The URLs of an email's tracked links, open pixel and unsubscribe link. */
export interface EmailLinks {
  click(index: number, url: string): string;
  open(): string;
  unsubscribe(): string;
}

/** Production's links: signed tokens naming the message (API.md "Tracking"). */
export function messageLinks(keys: SecretKeys, publicUrl: string, messageId: string): EmailLinks {
  return {
    click: (index) => `${publicUrl}/t/c/${signToken(keys, 'c', { messageId, index })}`,
    open: () => `${publicUrl}/t/o/${signToken(keys, 'o', { messageId })}`,
    unsubscribe: () => `${publicUrl}/unsubscribe/${signToken(keys, 'u', { messageId })}`,
  };
}

interface PrepareInput {
  messageId: string;
  html?: string;
  text?: string;
  marketing: boolean;
  publicUrl: string;
  keys: SecretKeys;
  /** Other link URLs than the message's own (a template preview's). */
  links?: EmailLinks;
  /**
   * False for mail to someone else than the contact (a lead's owner): its opens and clicks are
   * not the contact's, so it gets neither tracked links nor a pixel. Default true.
   */
  tracked?: boolean;
}

/**
 * An attribute value as the HTML means it: character references decoded as an HTML parser
 * decodes them in an attribute (named, numeric, and the legacy ones without `;`), nothing
 * else changed.
 */
export function decodeEntities(value: string): string {
  return decodeHTMLAttribute(value);
}

const escapeAttr = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

const ANCHOR = /<a\b[^>]*>/gi;
const HREF = /(\shref\s*=\s*)("([^"]*)"|'([^']*)'|([^\s>"']+))/i;
const KEY_ATTR = /\sdata-waymark-key\s*=\s*("([^"]*)"|'([^']*)'|([^\s>"']+))/i;
/** The href a template wrote, right after its render's mark; `prefix` keeps the whitespace before `href`. */
const markedHref = (mark: string) =>
  new RegExp(`\\s${LINK_MARK_ATTRIBUTE}=${mark}(\\s+href\\s*=\\s*)("([^"]*)"|'([^']*)'|([^\\s>"']+))`, 'i');

/**
 * Rewrites every link of an email to a tracked link (of an HTML template's output: every link
 * the template wrote, never one a value brought in), adds the open pixel, and for marketing
 * mail the unsubscribe link and `List-Unsubscribe` headers. In-page anchors (`#…`) stay.
 *
 * @example
 * prepareEmail({ messageId, html: '<a href="https://x.io">x</a>', marketing: true, publicUrl, keys })
 */
export function prepareEmail(given: PrepareInput): PreparedEmail {
  let input = given;
  const { messageId, publicUrl, keys } = input;
  const urls = input.links ?? messageLinks(keys, publicUrl, messageId);
  const unsubscribe = urls.unsubscribe();
  // `{{ unsubscribeUrl }}` in inline html and text: this message's own link, or nothing.
  const own = input.marketing ? unsubscribe : '';
  input = {
    ...input,
    html: input.html?.replaceAll(UNSUBSCRIBE_URL_PLACEHOLDER, own),
    text: input.text?.replaceAll(UNSUBSCRIBE_URL_PLACEHOLDER, own),
  };
  // The unsubscribe link and double opt-in confirmation links are never tracked.
  const untracked = (url: string) => isUnsubscribeLink(url, unsubscribe) || url.startsWith(`${publicUrl}/f/confirm/`);
  const links: StoredLink[] = [];
  const headers: Record<string, string> = {};
  // Only links written in the template become tracked links: html rendered from an HTML
  // template carries its render's random mark right before each href the template itself
  // wrote (the SDK's template/links.ts), which no rendered value can know. html without a mark
  // was built by a node's own code, and all its links are the node's.
  const mark = input.html === undefined ? null : linkMarkOf(input.html);
  const href = mark === null ? HREF : markedHref(mark);
  const tracked = input.tracked !== false;
  let html = input.html?.replace(ANCHOR, (tag) =>
    tag.replace(href, (whole, prefix: string, _v, dq?: string, sq?: string, bare?: string) => {
      const url = decodeEntities(dq ?? sq ?? bare ?? '').trim();
      if (!tracked || !url || url.startsWith('#') || untracked(url)) return whole;
      const keyMatch = KEY_ATTR.exec(tag);
      const key = keyMatch ? decodeEntities(keyMatch[2] ?? keyMatch[3] ?? keyMatch[4] ?? '') : null;
      const index = links.length;
      links.push({ index, key, url });
      return `${prefix}"${escapeAttr(urls.click(index, url))}"`;
    }),
  );
  if (html !== undefined && mark !== null) html = withoutLinkMarks(html);
  let text = input.text;
  if (input.marketing) {
    headers['List-Unsubscribe'] = `<${unsubscribe}>`;
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    // A template that links to `unsubscribeUrl` itself gets no second link.
    if (html !== undefined && !linksToUnsubscribe(html, unsubscribe))
      html = insertBeforeBodyEnd(
        html,
        `<p style="font-size:12px"><a href="${escapeAttr(unsubscribe)}">Unsubscribe</a></p>`,
      );
    if (text !== undefined && !text.includes(unsubscribe)) text = `${text}\n\nUnsubscribe: ${unsubscribe}\n`;
  }
  if (html !== undefined && tracked) {
    const pixel = urls.open();
    html = insertBeforeBodyEnd(html, `<img src="${escapeAttr(pixel)}" width="1" height="1" alt="">`);
  }
  return { html, text, headers, links };
}

/**
 * Whether an anchor of `html` links to the unsubscribe link (`isUnsubscribeLink`), read as the
 * tracking rewrite reads hrefs; the preview's `missing-unsubscribe` asks the same rule (checks.ts).
 */
function linksToUnsubscribe(html: string, unsubscribe: string): boolean {
  for (const [tag] of html.matchAll(ANCHOR)) {
    const m = HREF.exec(tag);
    if (m && isUnsubscribeLink(decodeEntities(m[3] ?? m[4] ?? m[5] ?? '').trim(), unsubscribe)) return true;
  }
  return false;
}

/** Puts `fragment` at the end of the body: before `</body>` when the HTML has one. */
function insertBeforeBodyEnd(html: string, fragment: string): string {
  const at = html.search(/<\/body\s*>/i);
  return at === -1 ? `${html}${fragment}` : `${html.slice(0, at)}${fragment}${html.slice(at)}`;
}
