import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { NodeError, RetryableError } from '@waymark/sdk';
import ipaddr from 'ipaddr.js';
import { beforeDeadline, type Deadline } from './deadline.js';

/**
 * Why an address may not be called, or null for a public unicast address. IPv4-mapped IPv6
 * (`::ffff:127.0.0.1`) is judged as the IPv4 address it carries. IPv4-compatible IPv6
 * (`::127.0.0.1`, `::/96`, deprecated by RFC 4291) is refused whatever it carries: ipaddr.js
 * calls it unicast, yet a host routing it through a 6in4 tunnel reaches the IPv4 address in it.
 *
 * @example
 * refusalOf('10.1.2.3') // 'private'
 * refusalOf('::127.0.0.1') // 'ipv4Compatible'
 */
export function refusalOf(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  if (range !== 'unicast') return range;
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0))
    return 'ipv4Compatible';
  return null;
}

/** The host of a URL as DNS or the IP parser wants it (IPv6 literals lose their brackets). */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Resolves the URL's host and returns the address to connect to. Unless `allowPrivate`,
 * throws a non-retryable NodeError when any address it resolves to is loopback, private,
 * link-local, unspecified or otherwise not public. DNS failures are retryable, and so is a
 * lookup that outlasts the request's `deadline` (`http.timeout`).
 */
export async function resolveTarget(
  url: URL,
  allowPrivate: boolean,
  deadline: Deadline,
): Promise<{ address: string; family: 4 | 6 }> {
  const host = bareHost(url);
  let addresses: { address: string; family: number }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await beforeDeadline(
        lookup(host, { all: true, verbatim: true }),
        deadline,
        `${host} did not resolve`,
      );
    } catch (error) {
      if (error instanceof RetryableError) throw error;
      const code = (error as { code?: string }).code;
      if (code === 'ENOTFOUND')
        throw new NodeError(`refused: ${host} does not resolve`, { cause: error, code: 'http.address-refused' });
      throw new RetryableError(`DNS lookup of ${host} failed (${code ?? 'error'})`, {
        cause: error,
        code: 'http.connection',
      });
    }
  }
  const first = addresses[0];
  if (!first) throw new NodeError(`refused: ${host} does not resolve`, { code: 'http.address-refused' });
  if (!allowPrivate) {
    for (const { address } of addresses) {
      const reason = refusalOf(address);
      if (reason) {
        throw new NodeError(
          `refused: ${host} resolves to ${address}, a ${reason} address (set WAYMARK_HTTP_ALLOW_PRIVATE=true to allow)`,
          { code: 'http.address-refused' },
        );
      }
    }
  }
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
