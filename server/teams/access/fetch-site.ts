import { WaymarkError } from '@waymark/sdk';
import type { FastifyRequest } from 'fastify';

/**
 * Where a browser says a request came from (Fetch Metadata's `Sec-Fetch-Site`) that a session
 * cookie may still answer: `same-origin` is the editor, served from the API's own origin;
 * `none` a URL typed or a bookmark opened. No header at all is no browser (curl, scripts) or
 * one too old to send it, and another site cannot make a browser leave it out.
 *
 * `same-site` is refused with `cross-site`: the editor never makes one, and it is another host
 * of the domain (`blog.example.com` for `waymark.example.com`), whose images and scripts carry a
 * SameSite=Lax cookie without even a click. The answers carry `Referrer-Policy: no-referrer`
 * and a GET no `Origin`, so nothing would tell a request of ours apart among them anyway.
 */
const OWN_SITE = new Set(['same-origin', 'none']);

// Only the values a browser sends are echoed: anything else came from no browser.
const FROM: Record<string, string> = {
  'cross-site': 'another site (Sec-Fetch-Site: cross-site)',
  'same-site': 'another host of this site (Sec-Fetch-Site: same-site)',
};

/** A cookie request another site made its browser send: HTTP 403 `forbidden`. */
export class OtherSiteError extends WaymarkError {
  constructor(site: string) {
    const from = FROM[site] ?? 'another site (Sec-Fetch-Site is neither same-origin nor none)';
    super(
      'forbidden',
      `this request came from ${from}, so your Waymark session is not used for it: open it from Waymark itself`,
    );
  }
}

/**
 * Throws 403 `forbidden` for a request a session cookie authenticates when its browser says
 * another site made it: a link or form elsewhere still brings the Lax cookie along on a
 * top-level GET, and the route would run (an export, its audit entry) though that site
 * cannot read the answer. Bearer tokens and live-feed tickets are never asked.
 */
export function refuseOtherSite(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (!site || (typeof site === 'string' && OWN_SITE.has(site))) return;
  throw new OtherSiteError(String(site));
}
