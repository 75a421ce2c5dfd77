/**
 * Text that is a URL as written, or null. `new URL` drops tabs and line breaks anywhere and
 * trims control characters and spaces at the ends, so text it parses can still hold them — and
 * where the text itself is kept and handed on (a form's redirect, PUBLIC_URL in links and
 * headers), a line break makes a malformed or injected header. Such text is no URL.
 */
export function parseUrlText(text: string): URL | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
  if (/[\x00-\x1f\x7f]/.test(text) || text.trim() !== text || !URL.canParse(text)) return null;
  return new URL(text);
}

/** What a URL field holding text {@link parseUrlText} refuses must be. */
export const URL_TEXT_RULE = 'without spaces or control characters';
