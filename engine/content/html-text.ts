import { decodeHTML } from 'entities';
import { decodeEntities } from '../messages/compose/prepare-email.js';

// A block's opening and closing tags both end a line (`x<ul><li>one` is two lines); they are
// marked first, and the text between marks becomes a line, blank ones dropped, so blocks that
// follow or nest each other make no blank lines. (Split, not a regex around the marks: one
// with \s* on both sides takes quadratic time over a long blank.)
const BLOCK_TAG = /<\/?(p|div|h[1-6]|li|tr|table|blockquote|section|article|header|footer|ul|ol)\b[^>]*>/gi;
const BLOCK_MARK = '\u001e';
// Cells of a row are words apart.
const CELL_END = /<\/(td|th)\s*>/gi;

/**
 * The plain-text part of an email generated from its HTML: head, styles, scripts and comments
 * dropped, links written as `text [url]`, line breaks at blocks and `<br>`, cells of a row apart,
 * entities decoded, blank runs collapsed.
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
    .replace(CELL_END, ' ')
    .replace(BLOCK_TAG, BLOCK_MARK)
    .replace(/<[^>]*>/g, '')
    .split(BLOCK_MARK)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .join('\n');
  s = decodeHTML(s);
  return s
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
