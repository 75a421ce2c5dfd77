import { createPublicKey, X509Certificate } from 'node:crypto';
import type { ErrorDetail, JsonObject } from '@waymark/sdk';

const PATH = '/snsCertificate';

/** Why `pem` cannot check SNS signatures, or null when it can. */
function certificateProblem(pem: string): string | null {
  // The key is derived from a private key too: one pasted by mistake must not be stored.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem))
    return 'holds a private key: give the certificate or its public key';
  try {
    if (pem.includes('-----BEGIN CERTIFICATE-----')) new X509Certificate(pem);
    // The same reading as verifySns's: what parses here checks signatures there.
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'rsa')
      return `holds a ${key.asymmetricKeyType} key, but SNS signs with RSA: give SNS's signing certificate`;
    return null;
  } catch (err) {
    return `is not a PEM certificate or public key that parses (${(err as Error).message})`;
  }
}

/**
 * ses.account's `check`: a pinned SNS certificate must parse as one, or every notification
 * would fail to verify (401) with nothing saying why.
 */
export function checkSesAccount(data: JsonObject): ErrorDetail[] {
  if (typeof data.snsCertificate !== 'string') return [];
  const problem = certificateProblem(data.snsCertificate);
  return problem ? [{ path: PATH, message: `snsCertificate ${problem}` }] : [];
}
