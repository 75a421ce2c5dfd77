import { NodeError, RetryableError } from '@waymark/sdk';

/** The step error codes of SMTP delivery (NODES.md "Step error codes"). */
export type SmtpFailureCode = 'smtp.tls-required' | 'smtp.auth' | 'smtp.rejected' | 'smtp.unavailable';

/** What a nodemailer error means for the step: its stable code and whether to try again. */
export function classifySmtpError(error: unknown): { code: SmtpFailureCode; retryable: boolean } {
  const e = (error ?? {}) as { code?: string; responseCode?: number };
  if (e.code === 'ETLS' || e.code === 'EREQUIRETLS') return { code: 'smtp.tls-required', retryable: false };
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') return { code: 'smtp.auth', retryable: false };
  const reply = e.responseCode ?? 0;
  if (reply >= 500) return { code: 'smtp.rejected', retryable: false };
  // Refused or lost connections, timeouts and 4xx replies: the server may take it later.
  return { code: 'smtp.unavailable', retryable: true };
}

/**
 * The step error for a failed SMTP delivery. The code rides in the error options (`{ code }`),
 * the SDK's way of naming a step failure, and leads the message for people.
 */
export function smtpFailure(error: unknown): NodeError {
  const { code, retryable } = classifySmtpError(error);
  const text = error instanceof Error ? error.message : String(error);
  const options: ErrorOptions & { code: string } = { code, cause: error };
  return retryable ? new RetryableError(`${code}: ${text}`, options) : new NodeError(`${code}: ${text}`, options);
}
