import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// engine/sdk/README.md "Credentials": a type's `check` says what its schema cannot, when the
// credential is saved. ses.account's: a pinned snsCertificate must parse, or every SNS
// notification would fail to verify later with nothing saying why.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const account = (snsCertificate: string) => ({
  region: 'us-west-2',
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'secret',
  snsTopicArns: ['arn:aws:sns:us-west-2:123456789012:ses-events'],
  snsCertificate,
});
const save = (snsCertificate: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: t.auth,
    payload: { name: 'SES', type: 'ses.account', data: account(snsCertificate) },
  });
const rsaPublicKey = () =>
  generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
/** A self-signed RSA certificate, as SNS's signing certificate is. */
const certificate = () =>
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=sns', '-days', '1'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );

/** The one problem a refused save names: 400 validation_failed at /data/snsCertificate. */
function refusal(res: { statusCode: number; json(): unknown }): string {
  expect(res.statusCode).toBe(400);
  const { error } = res.json() as { error: { code: string; details: { path: string; message: string }[] } };
  expect(error.code).toBe('validation_failed');
  expect(error.details.map((d) => d.path)).toEqual(['/data/snsCertificate']);
  return error.details[0]?.message as string;
}

describe('an ses.account snsCertificate', () => {
  test('an X.509 certificate in PEM is saved', async () => {
    expect((await save(certificate())).statusCode).toBe(201);
  });

  test('an RSA public key in PEM is saved', async () => {
    expect((await save(rsaPublicKey())).statusCode).toBe(201);
  });

  test('a certificate whose body is not one is refused, naming the field', async () => {
    const broken = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n';
    expect(refusal(await save(broken))).toMatch(/^snsCertificate is not a PEM certificate or public key that parses/);
  });

  test('a key other than RSA is refused: SNS signs with RSA', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
    expect(refusal(await save(ec.toString()))).toMatch(/ec key, but SNS signs with RSA/);
  });

  test('a private key pasted with the certificate is refused and not stored', async () => {
    const count = async () =>
      (await t.app.inject({ method: 'GET', url: '/api/credentials', headers: t.auth })).json().credentials.length;
    const before = await count();
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const both = `${pair.privateKey.export({ type: 'pkcs8', format: 'pem' })}${rsaPublicKey()}`;
    expect(refusal(await save(both))).toMatch(/holds a private key/);
    expect(await count()).toBe(before);
  });

  test('changing a saved one to a broken certificate is refused the same way', async () => {
    const made = (await save(rsaPublicKey())).json();
    const res = await t.app.inject({
      method: 'PUT',
      url: `/api/credentials/${made.id}`,
      headers: t.auth,
      payload: { data: account('-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----') },
    });
    expect(refusal(res)).toMatch(/not a PEM certificate or public key/);
  });
});
