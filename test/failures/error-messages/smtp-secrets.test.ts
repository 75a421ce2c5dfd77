import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { closeSmtpPools } from '../../../nodes/email/src/smtp-pools.js';
import { testPackage } from '../../engine/support.js';
import { type RawSmtpServer, startRawSmtpServer } from '../../sending/smtp-server.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { credential, mail, sendRun } from './send-runs.js';

// SDK.md "Credentials", engine/sdk/README.md: a failed send hides what its sender logged in
// with — the fields its credential type marks secret (an email.smtp credential's user and
// password, SMTP_URL's), as written and as base64 — and nothing else: the host and port a
// refusal names are what a user needs to see to mend it.

const USER = 'mailer-account';
const PASSWORD = 'smtp-pa55word-xyz';
const SMTP_URL_PASSWORD = 'default-pa55word-abc';

const base64 = (text: string) => Buffer.from(text).toString('base64');

let t: TestApp;
let worker: WorkerHandle;
/** Offers AUTH PLAIN only and refuses it, echoing the base64 `\0user\0password` it was sent. */
let plainEcho: RawSmtpServer;
/** Offers AUTH LOGIN only and refuses it, echoing the base64 user and password it was sent. */
let loginEcho: RawSmtpServer;

beforeAll(async () => {
  plainEcho = await startRawSmtpServer({
    allowInsecureAuth: true,
    authMethods: ['PLAIN'],
    onAuth(auth, _session, callback) {
      callback(new Error(`AUTH PLAIN ${base64(`\0${auth.username}\0${auth.password}`)} refused`));
    },
  });
  loginEcho = await startRawSmtpServer({
    allowInsecureAuth: true,
    authMethods: ['LOGIN'],
    onAuth(auth, _session, callback) {
      callback(new Error(`user ${base64(auth.username ?? '')} and password ${base64(auth.password ?? '')} refused`));
    },
  });
  t = await createTestApp({ SMTP_URL: `smtp://ops:${SMTP_URL_PASSWORD}@${plainEcho.host}:${plainEcho.port}` });
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 50 } });
});
afterAll(async () => {
  await worker?.stop();
  closeSmtpPools();
  await t?.close();
  await plainEcho?.close();
  await loginEcho?.close();
});

/** An email.smtp credential logging in to `server` as USER with PASSWORD. */
const smtpCredential = ({ host, port }: { host: string; port: number }) =>
  credential(t, 'email.smtp', { host, port, requireTLS: false, user: USER, password: PASSWORD });

/** A port of 127.0.0.1 nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test("a refused connection names the email.smtp credential's host and port in the step's and the message's error", async () => {
  const port = await closedPort();
  const { step, message } = await sendRun(t, mail(await smtpCredential({ host: '127.0.0.1', port })));
  expect(step.error.code).toBe('smtp.unavailable');
  expect(step.error.message).toContain(`127.0.0.1:${port}`);
  expect(message.error).toContain(`127.0.0.1:${port}`);
});

test('an SMTP server echoing the AUTH PLAIN login in base64 shows it as [redacted]', async () => {
  const echoed = base64(`\0${USER}\0${PASSWORD}`);
  const { run, step, message } = await sendRun(t, mail(await smtpCredential(plainEcho)));
  expect(step.error.code).toBe('smtp.auth');
  expect(step.error.message).toContain('AUTH PLAIN [redacted] refused');
  expect(message.error).toContain('AUTH PLAIN [redacted] refused');
  expect(JSON.stringify([run, message])).not.toContain(echoed);
});

test('an SMTP server echoing the AUTH LOGIN user and password in base64 shows both as [redacted]', async () => {
  const { run, step, message } = await sendRun(t, mail(await smtpCredential(loginEcho)));
  expect(step.error.code).toBe('smtp.auth');
  expect(step.error.message).toContain('user [redacted] and password [redacted] refused');
  expect(message.error).toContain('user [redacted] and password [redacted] refused');
  expect(JSON.stringify([run, message])).not.toMatch(new RegExp(`${base64(USER)}|${base64(PASSWORD)}`));
});

test("an SMTP server echoing SMTP_URL's AUTH PLAIN login in base64 shows it as [redacted]", async () => {
  const { run, step, message } = await sendRun(t, mail());
  expect(step.error.message).toContain('AUTH PLAIN [redacted] refused');
  expect(message.error).toContain('AUTH PLAIN [redacted] refused');
  expect(JSON.stringify([run, message])).not.toContain(base64(`\0ops\0${SMTP_URL_PASSWORD}`));
});
