import { isIP } from 'node:net';
import type { ErrorDetail, JsonObject } from '@waymark/sdk';
import { refusalOf } from '../http/ssrf.js';

/**
 * Why a sender credential's `endpoint` may not be stored, or none (API.md "Sending
 * credentials": a loopback or private one is refused unless `WAYMARK_HTTP_ALLOW_PRIVATE=true`).
 * Judged on the URL as written — an IP literal or a `localhost` name — so saving a credential
 * never waits on DNS; a public name that resolves to a private address is still refused by
 * `ctx.http` when the step calls it.
 *
 * @example
 * endpointProblems({ endpoint: 'http://127.0.0.1:8080' }, false)
 * // [{ path: '/data/endpoint', message: '/data/endpoint 127.0.0.1 is a loopback address …' }]
 */
export function endpointProblems(data: JsonObject, allowPrivate: boolean): ErrorDetail[] {
  if (allowPrivate || typeof data.endpoint !== 'string') return [];
  let host: string;
  try {
    // Brackets off an IPv6 literal, and DNS's absolute form (`localhost.`) off a name.
    host = new URL(data.endpoint).hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  } catch {
    return []; // not a URL: the type's schema (format uri) says so
  }
  // RFC 6761 §6.3: localhost names are loopback wherever they resolve.
  const named = host === 'localhost' || host.endsWith('.localhost');
  const reason = named ? 'loopback' : isIP(host) ? refusalOf(host) : null;
  if (!reason) return [];
  const message = `/data/endpoint ${host} is a ${reason} address; set WAYMARK_HTTP_ALLOW_PRIVATE=true to allow one`;
  return [{ path: '/data/endpoint', message }];
}
