/**
 * An email's HTML for a sandboxed `srcdoc` frame (which runs no script), under a policy of its
 * own on top of the page's, which such a frame inherits. Nothing loads but inline styles and
 * `data:` images unless `remote`: then also the email's own images, stylesheets and web fonts
 * (MJML links Google Fonts for its default typeface), as a mail client shows them. A frame that
 * must not count an open (the outbox, test runs) leaves them out until asked: their addresses
 * are taken out of the copy too, since the policy alone would still have the browser try each
 * one and log a refusal (the open pixel's on every test run).
 *
 * @example
 * framedEmail('<p>Hi</p>', false); // '<meta http-equiv="Content-Security-Policy" …><p>Hi</p>'
 */
export function framedEmail(html: string, remote: boolean): string {
  const web = remote ? ' https: http:' : '';
  const policy = `default-src 'none'; style-src 'unsafe-inline'${web}; font-src data:${web}; img-src data:${web}`;
  return `<meta http-equiv="Content-Security-Policy" content="${policy}">${remote ? html : withoutRemote(html)}`;
}

/** Attributes that make a browser fetch what they name. */
const FETCHING = ['src', 'srcset', 'background', 'poster', 'data', 'href', 'xlink:href'];
/** Elements whose `href` is only followed when clicked (a sandboxed frame follows none). */
const NAVIGATING = new Set(['a', 'area', 'base']);

const isInline = (url: string) => /^\s*(data:|#|$)/i.test(url);

/** CSS without `@import`s and with `url(…)`s other than `data:` left empty. */
function cssWithoutRemote(css: string): string {
  return css
    .replace(/@import[^;]*;?/gi, '')
    .replace(/url\(\s*(['"]?)(.*?)\1\s*\)/gi, (whole, _quote, url: string) => (isInline(url) ? whole : 'url()'));
}

/**
 * The email with every address the browser would fetch on its own taken out (images, image
 * sets, backgrounds, linked stylesheets, CSS `url()`s and `@import`s); links stay. Parsed by the
 * browser into an inert document, which loads nothing.
 */
function withoutRemote(html: string): string {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  for (const element of doc.querySelectorAll('*')) {
    const tag = element.localName;
    if (tag === 'link') {
      element.remove();
      continue;
    }
    for (const name of FETCHING) {
      const value = element.getAttribute(name);
      if (value === null || (name === 'href' && NAVIGATING.has(tag))) continue;
      // A srcset lists several addresses: dropped whole, the src stays the fallback.
      if (name === 'srcset' || !isInline(value)) element.removeAttribute(name);
    }
    const style = element.getAttribute('style');
    if (style !== null) element.setAttribute('style', cssWithoutRemote(style));
    if (tag === 'style') element.textContent = cssWithoutRemote(element.textContent ?? '');
  }
  const doctype = doc.doctype ? `<!DOCTYPE ${doc.doctype.name}>` : '';
  return doctype + doc.documentElement.outerHTML;
}
