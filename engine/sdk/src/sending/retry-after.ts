// An HTTP-date as RFC 9110 writes it (IMF-fixdate): `Sun, 06 Nov 1994 08:49:37 GMT`.
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * The delay a `Retry-After` header asks for, in milliseconds (whole seconds, or an HTTP-date
 * from now), or undefined when there is none or it is not one of those (`-5`, `soon`): a
 * malformed header never shortens a retry's delay.
 *
 * @example
 * throw new RetryableError('the gateway answered 503', { code: 'sms.unavailable', retryAfterMs: retryAfterMs(res.headers) });
 * retryAfterMs({ 'retry-after': '7' }); // 7000
 */
export function retryAfterMs(headers: Readonly<Record<string, string>>): number | undefined {
  const value = headers['retry-after']?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  if (!HTTP_DATE.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
