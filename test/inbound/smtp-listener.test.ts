import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type InboundSmtp, startInboundSmtp } from '../../engine/inbound/smtp-listener.js';
import { createTestDatabase } from '../support/database.js';
import { environmentWithoutSettings } from '../support/environment.js';
import {
  DOMAIN,
  deliveryReport,
  eventsOf,
  freePort,
  type InboundTest,
  inboundApp,
  replyTo,
  SECRET,
  sendToNewContact,
} from './support.js';

let t: InboundTest;
let listener: InboundSmtp;
beforeAll(async () => {
  t = await inboundApp();
  listener = await startInboundSmtp(t.runtime, { port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await listener?.close();
  await t?.close();
});

/** A real SMTP client delivering into a listener, as a mail server on the internet would. */
const mailer = (port: number) =>
  nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, tls: { rejectUnauthorized: false } });

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: { responseCode?: number }) => error.responseCode,
  );

describe('the inbound SMTP listener', () => {
  test('takes a reply to a reply address and records it', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'smtp-replier@example.com');
    const raw = await replyTo(sent, { text: 'Yes, by SMTP.\n\n> Our spring offer' });
    await mailer(listener.port).sendMail({ envelope: { from: 'smtp-replier@example.com', to: sent.replyTo }, raw });
    const [event] = await eventsOf(t, contactId, 'email.replied');
    expect(event?.properties).toMatchObject({ messageId: sent.messageId, text: 'Yes, by SMTP.' });
  });

  test('takes a delivery report to the bounce address of an email', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'smtp-gone@example.org');
    const report = deliveryReport(sent, { status: '5.1.1', returned: 'none' });
    await mailer(listener.port).sendMail({ envelope: { from: '', to: sent.envelope.from }, raw: report });
    const [event] = await eventsOf(t, contactId, 'email.bounced');
    expect(event?.properties).toMatchObject({ messageId: sent.messageId, kind: 'hard', status: '5.1.1' });
  });

  test('takes mail to any other address of the domain and drops it unmatched, no error to its sender', async () => {
    const send = mailer(listener.port).sendMail({
      from: 'ann@example.com',
      to: `sales@${DOMAIN}`,
      subject: 'Hello',
      text: 'Hi',
    });
    expect(await refusal(send)).toBeNull();
  });

  test('refuses a recipient of another domain with 550', async () => {
    const send = mailer(listener.port).sendMail({ from: 'ann@example.com', to: 'reply+x@example.com', text: 'Hi' });
    expect(await refusal(send)).toBe(550);
  });

  test('refuses a message over 10 MiB with 552', async () => {
    const send = mailer(listener.port).sendMail({
      from: 'ann@example.com',
      to: `reply+x@${DOMAIN}`,
      text: 'x'.repeat(10 * 1024 * 1024 + 1),
    });
    expect(await refusal(send)).toBe(552);
  });

  test('refuses malformed MIME with 554', async () => {
    const send = mailer(listener.port).sendMail({
      envelope: { from: 'ann@example.com', to: `reply+x@${DOMAIN}` },
      raw: 'no headers here, just words\r\n',
    });
    expect(await refusal(send)).toBe(554);
  });
});

async function until(check: () => Promise<boolean>, ms = 60_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('gave up waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the server process', () => {
  test('listens on INBOUND_SMTP_PORT while it runs and stops listening when it stops', async () => {
    const database = await createTestDatabase();
    const [port, smtpPort] = [await freePort(), await freePort()];
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', 'server'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: {
        ...environmentWithoutSettings(),
        DATABASE_URL: database.url,
        PORT: String(port),
        WAYMARK_SECRET_KEY: 'test-secret-key-0123456789',
        WAYMARK_API_TOKEN: 'test-admin-token-0123456789',
        INBOUND_EMAIL_DOMAIN: DOMAIN,
        INBOUND_SMTP_PORT: String(smtpPort),
        INBOUND_SECRET: SECRET,
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    try {
      await until(() =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      );
      const accepted = await mailer(smtpPort).sendMail({
        from: 'ann@example.com',
        to: `reply+x@${DOMAIN}`,
        text: 'Hi',
      });
      expect(accepted.accepted).toEqual([`reply+x@${DOMAIN}`]);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
      const refused = await mailer(smtpPort)
        .verify()
        .then(
          () => 'open',
          (error: { code?: string }) => error.code,
        );
      expect(refused).toBe('ESOCKET');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await database.drop();
    }
  }, 90_000);
});
