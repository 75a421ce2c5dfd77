import { decodeHTML } from 'entities';
import { decodeEntities } from '../messages/compose/prepare-email.js';

const BLOCK_END = /<\/(p|div|h[1-6]|li|tr|table|blockquote|section|article|header|footer|ul|ol)\s*>/gi;

/**
 * The plain-text part of an email generated from its HTML: head, styles, scripts and comments
 * dropped, links written as `text [url]`, line breaks at blocks and `<br>`, entities decoded,
 * blank runs collapsed.
 *
 * @example
 * textFromHtml('<p>Hi &amp; <a href="https://x.io">see</a></p>') // 'Hi & see [https://x.io]'
 */
export function textFromHtml(html: string): string {
  let s = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(head|style|script|title)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(
      /<a\b[^>]*?\shref\s*=\s*("([^"]*)"|'([^']*)'|([^\s>"']+))[^>]*>([\s\S]*?)<\/a\s*>/gi,
      (_w, _v, dq, sq, bare, inner: string) => {
        const url = decodeEntities(dq ?? sq ?? bare ?? '').trim();
        const label = inner.replace(/<[^>]*>/g, '').trim();
        if (!url || url.startsWith('#')) return label;
        return label && decodeHTML(label) !== url ? `${label} [${url}]` : url;
      },
    )
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(BLOCK_END, '\n')
    .replace(/<[^>]*>/g, '');
  s = decodeHTML(s);
  return s
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
