/**
 * An email's HTML for a sandboxed `srcdoc` frame (which runs no script), under a policy of its
 * own on top of the page's, which such a frame inherits: nothing loads but inline styles and
 * the images `imgSrc` allows (`data:` alone, so that no open pixel counts).
 *
 * @example
 * framedEmail('<p>Hi</p>', 'data:'); // '<meta http-equiv="Content-Security-Policy" …><p>Hi</p>'
 */
export function framedEmail(html: string, imgSrc: string): string {
  return `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src ${imgSrc}">${html}`;
}
