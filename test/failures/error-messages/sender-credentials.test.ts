import { Writable } from 'node:stream';
import { defineNode, definePackage } from '@waymark/sdk';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { StepSecrets } from '../../../engine/credentials/step-secrets.js';
import { createMessagesService } from '../../../engine/messages/service.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { closeSmtpPools } from '../../../nodes/email/src/smtp-pools.js';
import { insertContact, stepScope } from '../../channels/scope.js';
import { eventually, n, testPackage } from '../../engine/support.js';
import { type RawSmtpServer, startRawSmtpServer } from '../../sending/smtp-server.js';
import { type StandIn, startStandIn } from '../../sending/stand-in.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { api } from '../support.js';
import { credential, mail, sendRun } from './send-runs.js';

// SDK.md "Credentials": a credential never appears in a step's output, a log line or an error
// message. A sending credential is read by the messages service, not by the node, and many
// providers echo what they were given when they refuse it: an API key in a 401's text, a
// password in an SMTP server's answer to AUTH.

const API_KEY = 'SG.live-0123456789abcdef';
const SMTP_PASSWORD = 'smtp-pa55word-xyz';
const SMTP_URL_PASSWORD = 'default-pa55word-abc';

let t: TestApp;
let worker: WorkerHandle;
let sendgrid: StandIn;
/** Refuses every login, naming the user and password it was given. */
let smtp: RawSmtpServer;
/** The server log's lines. */
const logLines: string[] = [];

beforeAll(async () => {
  sendgrid = await startStandIn(() => ({ status: 500 }));
  smtp = await startRawSmtpServer({
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      callback(new Error(`no user ${auth.username} with password ${auth.password}`));
    },
  });
  const log = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  t = await createTestApp(
    { WAYMARK_HTTP_ALLOW_PRIVATE: 'true', SMTP_URL: `smtp://ops:${SMTP_URL_PASSWORD}@${smtp.host}:${smtp.port}` },
    { logger: pino({ level: 'debug' }, log) },
  );
  t.runtime.registry.add(testPackage);
  t.runtime.registry.add(definePackage({ name: 'logging-sender', version: '1.0.0', nodes: [loggingSend] }));
  worker = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 50 } });
});
afterAll(async () => {
  await worker?.stop();
  closeSmtpPools();
  await t?.close();
  await sendgrid?.close();
  await smtp?.close();
});

/** Sends an email through its `credential` param and, when the send fails, logs why before failing. */
const loggingSend = defineNode({
  type: 'logging.send',
  version: 1,
  kind: 'action',
  title: 'Send and log',
  description: '',
  category: 'Test',
  sendsMessages: true,
  params: {
    type: 'object',
    properties: { credential: { type: 'string', format: 'credential', credentialChannel: 'email' } },
    required: ['credential'],
  },
  outputs: ['out'],
  maxAttempts: 1,
  async run(ctx) {
    try {
      const email = { from: 'News <news@example.com>', subject: 'Hi', html: '<p>Hi</p>' };
      await ctx.messages.send({
        channel: 'email',
        category: 'transactional',
        credential: ctx.params.credential,
        ...email,
      });
    } catch (error) {
      ctx.log.warn({ err: error }, `the send failed: ${(error as Error).message}`);
      throw error;
    }
    return { next: 'out' };
  },
});

const sendgridAccount = (apiKey: string) => credential(t, 'sendgrid.account', { apiKey, endpoint: sendgrid.url });

/** SendGrid's 401 for a key it does not know, naming the key it was sent. */
function refuseKey() {
  sendgrid.answer((request) => ({
    status: 401,
    body: { errors: [{ message: `the API key ${String(request.headers.authorization).slice(7)} is not valid` }] },
  }));
}

describe('a provider refusing the API key it echoes', () => {
  let sent: Awaited<ReturnType<typeof sendRun>>;
  beforeAll(async () => {
    refuseKey();
    sent = await sendRun(t, mail(await sendgridAccount(API_KEY)));
  });

  test("shows [redacted] in the step's error and the run's failure", () => {
    const message = 'provider.auth: SendGrid answered 401 (the API key [redacted] is not valid)';
    expect(sent.step.error).toMatchObject({ code: 'provider.auth', message });
    expect(sent.run.failure.error).toMatchObject({ message });
    expect(JSON.stringify(sent.run)).not.toContain(API_KEY);
  });

  test("shows [redacted] in the message's error", () => {
    expect(sent.message).toMatchObject({
      status: 'failed',
      error: 'provider.auth: SendGrid answered 401 (the API key [redacted] is not valid)',
    });
  });

  test('leaves no log line holding the key', () => {
    expect(logLines.join('\n')).not.toContain(API_KEY);
  });
});

test('a provider refusing a key shorter than 6 characters shows it as [redacted] too', async () => {
  refuseKey();
  const { step, message } = await sendRun(t, mail(await sendgridAccount('SG.ab')));
  expect(step.error.message).toBe('provider.auth: SendGrid answered 401 (the API key [redacted] is not valid)');
  expect(message.error).toBe('provider.auth: SendGrid answered 401 (the API key [redacted] is not valid)');
});

test("a provider's 429 echoing the key shows [redacted] in the held message's error", async () => {
  sendgrid.answer((request) => ({
    status: 429,
    headers: { 'retry-after': '3600' },
    body: { errors: [{ message: `too many requests for ${String(request.headers.authorization).slice(7)}` }] },
  }));
  const { message } = await sendRun(t, mail(await sendgridAccount(API_KEY)), ['running']);
  expect(message).toMatchObject({
    status: 'queued',
    error: 'provider.rate-limited: SendGrid answered 429 (too many requests for [redacted])',
  });
});

test("a failed send's key shows [redacted] in the lines the step's ctx.log writes about it", async () => {
  refuseKey();
  await sendRun(t, n('mail', 'logging.send', { credential: await sendgridAccount(API_KEY) }));
  const line = JSON.parse(logLines.find((l) => l.includes('the send failed')) ?? '{}');
  expect(line.msg).toBe('the send failed: provider.auth: SendGrid answered 401 (the API key [redacted] is not valid)');
  expect(line.err.message).toBe('provider.auth: SendGrid answered 401 (the API key [redacted] is not valid)');
  expect(logLines.join('\n')).not.toContain(API_KEY);
});

test("a send that goes through adds nothing to the step's secrets: a step that read no credential stays unscanned", async () => {
  sendgrid.answer(() => ({ status: 202, headers: { 'x-message-id': 'sg-1' } }));
  const secrets = new StepSecrets();
  const contactId = await insertContact(t.runtime, { email: 'through@example.org' });
  const scope = await stepScope(t.runtime, { contactId, secrets });
  const email = { from: 'News <news@example.com>', subject: 'Hi', html: '<p>Hi</p>' };
  const credential = await sendgridAccount(API_KEY);
  const sent = await createMessagesService(scope).send({
    channel: 'email',
    category: 'transactional',
    credential,
    ...email,
  });
  expect(sent.status).toBe('sent');
  expect(secrets.none).toBe(true);
});

describe('an SMTP server refusing the login it echoes', () => {
  test('through an email.smtp credential: [redacted] in the step error and the message error', async () => {
    const id = await credential(t, 'email.smtp', {
      host: smtp.host,
      port: smtp.port,
      requireTLS: false,
      user: 'mailer-account',
      password: SMTP_PASSWORD,
    });
    const { run, step, message } = await sendRun(t, mail(id));
    const refusal = 'no user [redacted] with password [redacted]';
    expect(step.error).toMatchObject({ code: 'smtp.auth' });
    expect(step.error.message).toContain(refusal);
    expect(message.error).toContain(refusal);
    expect(JSON.stringify([run, message, logLines])).not.toMatch(/smtp-pa55word|mailer-account/);
  });

  test('through SMTP_URL: its password and its user name of fewer than 6 characters show [redacted]', async () => {
    const { run, step, message } = await sendRun(t, mail());
    const refusal = 'no user [redacted] with password [redacted]';
    expect(step.error).toMatchObject({ code: 'smtp.auth' });
    expect(step.error.message).toContain(refusal);
    expect(message.error).toContain(refusal);
    expect(JSON.stringify([run, message, logLines])).not.toContain(SMTP_URL_PASSWORD);
  });

  test("a template's test send through SMTP_URL: [redacted] in the 502 answer and the message error", async () => {
    const template = { name: 'Promo', format: 'html', subject: 'Sale', body: '<p>Sale</p>' };
    await api(t, { method: 'PUT', url: '/api/templates/promo', payload: template });
    const payload = { to: 'me@example.com', from: 'shop@example.com' };
    const sent = await api(t, { method: 'POST', url: '/api/templates/promo/send-test', payload });
    const refusal = 'no user [redacted] with password [redacted]';
    expect(sent.status).toBe(502);
    expect(sent.body.error).toMatchObject({ code: 'delivery_failed', message: expect.stringContaining(refusal) });
    const { body } = await api(t, { url: '/api/messages?status=failed' });
    const message = body.messages.find((m: { to: string }) => m.to === 'me@example.com');
    expect(message.error).toContain(refusal);
    expect(JSON.stringify([sent.body, message, logLines])).not.toContain(SMTP_URL_PASSWORD);
  });

  test("a form's confirmation mail through SMTP_URL: [redacted] in the server log's line about it", async () => {
    const form = await api(t, {
      method: 'PUT',
      url: '/api/forms/news',
      payload: {
        name: 'News',
        fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
        consentText: 'Send me the news',
        doubleOptIn: true,
        confirmationFrom: 'News <news@example.com>',
      },
    });
    expect(form.status).toBe(201);
    const submitted = await t.app.inject({
      method: 'POST',
      url: '/f/news',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=lin%40example.com&_consent=on&_hp=',
    });
    expect(submitted.statusCode).toBe(200);
    const line = await eventually(async () => logLines.find((l) => l.includes('the confirmation mail was not sent')));
    expect(JSON.parse(line).err.message).toContain('no user [redacted] with password [redacted]');
    expect(logLines.join('\n')).not.toContain(SMTP_URL_PASSWORD);
  });
});
