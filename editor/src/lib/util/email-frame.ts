/**
 * An email's HTML for a sandboxed `srcdoc` frame (which runs no script), under a policy of its
 * own on top of the page's, which such a frame inherits. Nothing loads but inline styles and
 * `data:` images unless `remote`: then also the email's own images, stylesheets and web fonts
 * (MJML links Google Fonts for its default typeface), as a mail client shows them. A frame that
 * must not count an open (the outbox, test runs) leaves them out until asked.
 *
 * @example
 * framedEmail('<p>Hi</p>', false); // '<meta http-equiv="Content-Security-Policy" …><p>Hi</p>'
 */
export function framedEmail(html: string, remote: boolean): string {
  const web = remote ? ' https: http:' : '';
  const policy = `default-src 'none'; style-src 'unsafe-inline'${web}; font-src data:${web}; img-src data:${web}`;
  return `<meta http-equiv="Content-Security-Policy" content="${policy}">${html}`;
}
