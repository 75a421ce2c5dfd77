import {
  type HttpClient,
  isRetryable,
  type JsonObject,
  NodeError,
  type PreparedMessage,
  providerFailure,
  RetryableError,
  retryAfterMs,
} from '@waymark/sdk';

interface Gateway {
  url: string;
  authHeader?: string;
  bodyTemplate?: string;
  contentType?: string;
}

/** A value placed into the body template, escaped so it stays inside a JSON string. */
const jsonEscape = (value: string) => JSON.stringify(value).slice(1, -1);

/** The request body for one SMS. */
export function gatewayBody(gateway: Gateway, to: string, body: string): string {
  if (!gateway.bodyTemplate) return JSON.stringify({ to, body });
  return gateway.bodyTemplate.replace(/\{\{\s*(to|body)\s*\}\}/g, (_, name: string) =>
    jsonEscape(name === 'to' ? to : body),
  );
}

/**
 * Delivers a prepared SMS by POSTing it to the gateway. A 429 holds the message until its
 * `Retry-After`; a 5xx is worth retrying (after a 503's `Retry-After`, when it names one); any
 * other answer outside 2xx fails the step.
 */
export function gatewayDeliver(http: HttpClient, data: JsonObject) {
  const gateway = data as unknown as Gateway;
  return async (message: PreparedMessage): Promise<{ providerId?: string }> => {
    const headers: Record<string, string> = { 'content-type': gateway.contentType ?? 'application/json' };
    if (gateway.authHeader) headers.authorization = gateway.authHeader;
    const res = await http
      .request({
        method: 'POST',
        url: gateway.url,
        headers,
        body: gatewayBody(gateway, message.to, message.text ?? ''),
      })
      .catch((error: unknown) => {
        // The gateway out of reach: the SMS's own code, retried as the transport error was.
        const retryable = isRetryable(error);
        const text = `the SMS gateway could not be reached: ${(error as Error).message}`;
        throw retryable
          ? new RetryableError(text, { cause: error, code: 'sms.unavailable' })
          : new NodeError(text, { cause: error, code: 'sms.rejected' });
      });
    // A 429 is a provider's (contracts/sending.md): the message is held until its Retry-After,
    // failing nothing and spending no attempt, as for any sending credential.
    if (res.status === 429) throw providerFailure('the SMS gateway', res);
    if (res.status >= 500)
      // A 503's Retry-After sets the next attempt's delay (contracts/failures.md "Node settings").
      throw new RetryableError(`the SMS gateway answered ${res.status}`, {
        code: 'sms.unavailable',
        ...(res.status === 503 ? { retryAfterMs: retryAfterMs(res.headers) } : {}),
      });
    if (res.status >= 300)
      throw new NodeError(`the SMS gateway refused the message with ${res.status}`, { code: 'sms.rejected' });
    const id = res.body && typeof res.body === 'object' && !Array.isArray(res.body) ? res.body.id : undefined;
    return typeof id === 'string' || typeof id === 'number' ? { providerId: String(id) } : {};
  };
}
