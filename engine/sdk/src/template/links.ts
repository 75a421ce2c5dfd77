import { randomUUID } from 'node:crypto';
import { type Liquid, Tokenizer, type TopLevelToken, TypeGuards } from 'liquidjs';

/**
 * Links written in an HTML template, told apart from links a rendered value brings in.
 *
 * Before an HTML template is parsed, every `href` attribute of an `<a>` tag in its source gets
 * `data-waymark-link=<mark>` put right before it, `<mark>` being a variable of the render. Each
 * render draws a fresh random mark and ends its output with `<!--waymark-links:<mark>-->`.
 * A value cannot know the mark of the render it is part of, so a link whose `href` is preceded
 * by the mark was written in the template; any other link came from a value. Sending an email
 * (`ctx.messages.send`) tracks only the marked links and strips the marks; a node that puts an
 * HTML template's output elsewhere removes them with `withoutLinkMarks`.
 */

/** The attribute that marks a template's own link. */
export const LINK_MARK_ATTRIBUTE = 'data-waymark-link';
/** The render variable holding the mark (a template's own `{{ … }}` cannot be a value's). */
export const LINK_MARK_VARIABLE = '__waymark_link_mark';

const MARK_COMMENT = /<!--waymark-links:([0-9a-f]{24})-->/g;
const ANY_MARK = new RegExp(`\\s${LINK_MARK_ATTRIBUTE}=(?:"[^"]*"|'[^']*'|[^\\s>"']*)`, 'gi');

// Tags whose `href` is a link: HTML anchors, and MJML's linking components.
const LINK_TAG = /^<(?:a|mj-(?:button|image|navbar-link|social-element|carousel-image))[\s/>]/i;

/**
 * A fresh mark for one render: 24 hex digits, 90 of their bits random (the last 24 of a random
 * UUID's, whose version digit is fixed). From Node's pooled UUID source: `randomBytes` asks
 * OpenSSL at each call, 6.5 µs against 0.14, and an email renders its html once.
 */
export function newLinkMark(): string {
  return randomUUID().replaceAll('-', '').slice(-24);
}

/** What a render appends so that the mark can be found again. */
export function linkMarkComment(mark: string): string {
  return `<!--waymark-links:${mark}-->`;
}

/**
 * Puts `data-waymark-link={{ <mark variable> }} ` before every `href=` inside an `<a …>` tag
 * (or an MJML `mj-button`, `mj-image`, … tag) written in the template source (not in `{% raw %}` or `{% comment %}`).
 * Given the render's `mark`, puts the mark itself instead, for a source parsed for one render
 * only: no output to parse and render per link.
 */
export function markTemplateLinks(source: string, liquid: Liquid, mark?: string): string {
  const tokens: TopLevelToken[] = new Tokenizer(source, liquid.options.operators).readTopLevelTokens(liquid.options);
  const inserts: number[] = [];
  let inAnchor = false;
  let quote: string | null = null;
  let skipDepth = 0;
  for (const token of tokens) {
    if (TypeGuards.isTagToken(token)) {
      if (token.name === 'comment' || token.name === 'raw') skipDepth++;
      else if (token.name === 'endcomment' || token.name === 'endraw') skipDepth = Math.max(0, skipDepth - 1);
      continue;
    }
    if (!TypeGuards.isHTMLToken(token) || skipDepth > 0) continue;
    const text = source.slice(token.begin, token.end);
    for (let i = 0; i < text.length; i++) {
      const ch = text[i] as string;
      if (!inAnchor) {
        if (ch === '<' && LINK_TAG.test(text.slice(i, i + 24))) {
          inAnchor = true;
          quote = null;
          i += 1;
        }
      } else if (quote) {
        if (ch === quote) quote = null;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '>') inAnchor = false;
      else if (/\s/.test(ch) && /^href\s*=/i.test(text.slice(i + 1, i + 16))) inserts.push(token.begin + i + 1);
    }
  }
  // Built once from slices: splicing each mark into the whole string took quadratic time.
  const attribute = `${LINK_MARK_ATTRIBUTE}=${mark ?? `{{ ${LINK_MARK_VARIABLE} }}`} `;
  const parts: string[] = [];
  let from = 0;
  for (const at of inserts) {
    parts.push(source.slice(from, at), attribute);
    from = at;
  }
  parts.push(source.slice(from));
  return parts.join('');
}

/**
 * The mark of the HTML template an html string was rendered from, or null when it was not
 * rendered from one (HTML built by a node's own code, whose links are all its own).
 */
export function linkMarkOf(html: string): string | null {
  let mark: string | null = null;
  for (const match of html.matchAll(MARK_COMMENT)) mark = match[1] ?? null;
  return mark;
}

/**
 * An html string without link marks and the closing mark comment: for an HTML template's
 * output a node uses anywhere but `ctx.messages.send` (an API call, an output).
 *
 * @example
 * body: JSON.stringify({ html: withoutLinkMarks(ctx.params.html) }),
 */
export function withoutLinkMarks(html: string): string {
  return html.replace(MARK_COMMENT, '').replace(ANY_MARK, '');
}
