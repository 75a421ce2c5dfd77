/**
 * Whether a link's URL (as the HTML means it: decoded, trimmed) is the message's unsubscribe
 * link `unsubscribe`: that URL, or it with a query string or fragment a template appended
 * (`{{ unsubscribeUrl }}?utm=1`, `…#top`), which the unsubscribe route reads the same. Such a
 * link is never click-tracked, and it is the template's own unsubscribe link (no footer is
 * added, the preview reports none missing).
 *
 * @example
 * isUnsubscribeLink('https://w.io/unsubscribe/t?utm=1', 'https://w.io/unsubscribe/t'); // true
 * isUnsubscribeLink('https://w.io/unsubscribe/tx', 'https://w.io/unsubscribe/t'); // false
 */
export function isUnsubscribeLink(url: string, unsubscribe: string): boolean {
  if (!unsubscribe || !url.startsWith(unsubscribe)) return false;
  const after = url.charAt(unsubscribe.length);
  return after === '' || after === '?' || after === '#';
}
