import { NodeError, RetryableError } from '@waymark/sdk';

/** The step error codes of SMTP delivery (NODES.md "Step error codes"). */
export type SmtpFailureCode = 'smtp.tls-required' | 'smtp.auth' | 'smtp.rejected' | 'smtp.unavailable';

/** Node's certificate verification failures (nodejs.org/api/tls.html, "X509 certificate error codes"). */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);

/**
 * Whether TLS could not be set up: the server's certificate is not trusted, or the handshake
 * failed. Nodemailer reports it as a socket error (`ESOCKET`) and keeps Node's code as
 * `originalCode`; trying again meets the same certificate, so it is no outage.
 */
function isTlsFailure(code: string | undefined): boolean {
  return code !== undefined && (CERTIFICATE_CODES.has(code) || /^ERR_(TLS|SSL)_/.test(code));
}

/** What a nodemailer error means for the step: its stable code and whether to try again. */
export function classifySmtpError(error: unknown): { code: SmtpFailureCode; retryable: boolean } {
  const e = (error ?? {}) as { code?: string; originalCode?: string; responseCode?: number };
  // No STARTTLS offered where it is required (ETLS, EREQUIRETLS), or the upgrade failed.
  if (e.code === 'ETLS' || e.code === 'EREQUIRETLS' || isTlsFailure(e.originalCode ?? e.code))
    return { code: 'smtp.tls-required', retryable: false };
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
