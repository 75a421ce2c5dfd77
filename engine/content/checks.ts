import { decodeEntities } from '../messages/compose/prepare-email.js';
import { isUnsubscribeLink } from '../messages/compose/unsubscribe-link.js';
import type { Problem } from './types.js';

/** Gmail clips a message whose HTML is larger than this. */
export const GMAIL_CLIP_BYTES = 102 * 1024;

const LINK_TAGS = /<(a|mj-button|mj-image|mj-navbar-link|mj-social-element|mj-carousel-image|area)\b[^>]*>/gi;
const IMAGE_TAGS = /<(img|mj-image)\b[^>]*>/gi;

function attribute(tag: string, name: string): string | null {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>"']+))`, 'i').exec(tag);
  return m ? decodeEntities(m[2] ?? m[3] ?? m[4] ?? '') : null;
}

const hasAttribute = (tag: string, name: string) => new RegExp(`\\s${name}(\\s*=|[\\s/>])`, 'i').test(tag);

/** What is wrong with a link's URL for a recipient, if anything. */
function linkProblem(url: string): Problem | null {
  if (/^http:/i.test(url))
    return { code: 'insecure-link', severity: 'warning', message: `link without https: ${url}`, url };
  // Every href becomes a tracked link (NODES.md), whose click redirects to the href: one with
  // no scheme (`/pricing`, `//cdn…`, `www.…`) names no address outside the email, so it leads
  // nowhere. An in-page anchor (`#top`) stays as written.
  if (!/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('#'))
    return {
      code: 'relative-link',
      severity: 'warning',
      message: `link that is not an absolute URL: ${url} (its click leads nowhere)`,
      url,
    };
  return null;
}

/**
 * Links whose URL starts with `http:` or is not absolute, and images without `alt`, as the
 * template writes them (its HTML after Liquid, before MJML and tracking). Links under
 * `publicUrl` are not checked.
 */
export function checkMarkup(html: string, publicUrl: string): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const [tag] of html.matchAll(LINK_TAGS)) {
    const url = attribute(tag, 'href')?.trim();
    if (!url || url.startsWith(`${publicUrl}/`) || seen.has(url)) continue;
    seen.add(url);
    const problem = linkProblem(url);
    if (problem) problems.push(problem);
  }
  for (const [tag] of html.matchAll(IMAGE_TAGS)) {
    if (hasAttribute(tag, 'alt')) continue;
    const src = attribute(tag, 'src') ?? '';
    problems.push({ code: 'image-without-alt', severity: 'warning', message: `image without alt text: ${src}`, src });
  }
  return problems;
}

/** True when the HTML links to the unsubscribe link `unsubscribe` (an `href` that, decoded, `isUnsubscribeLink`). */
export function linksToUnsubscribe(html: string, unsubscribe: string): boolean {
  for (const [tag] of html.matchAll(LINK_TAGS))
    if (isUnsubscribeLink(attribute(tag, 'href')?.trim() ?? '', unsubscribe)) return true;
  return false;
}
