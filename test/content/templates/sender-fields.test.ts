import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { smtpDeliver } from '../../../nodes/email/src/smtp-deliver.js';
import { closeSmtpPools } from '../../../nodes/email/src/smtp-pools.js';
import { type SmtpSink, startSmtpSink } from '../../channels/smtp-sink.js';
import { startRawSmtpServer } from '../../sending/smtp-server.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// A sender field (a test send's `from`, a form's `confirmationFrom`, email.send's `from` and
// `replyTo`) is one mailbox: several addresses or a line break would send as someone else.

let t: TestApp;
let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
  t = await createTestApp({ SMTP_URL: sink.url });
});
afterAll(() => Promise.all([t.close(), sink.close()]));

const NOT_ONE_MAILBOX = [
  ['a second address', 'ceo@bank.com, <shop@example.com>'],
  ['two bare addresses', 'ceo@bank.com, shop@example.com'],
  ['a header after CR LF', 'Shop\r\nBcc: x@evil.com <shop@example.com>'],
  ['a trailing line break', 'shop@example.com\r\n'],
  ['a group', 'Team: <shop@example.com>'],
  ['a comma in the address', 'ceo,shop@example.com'],
];
const message = (path: string) =>
  `${path} must be an email address, such as news@example.com or News <news@example.com>`;
const draft = { draft: { format: 'html', subject: 'S', body: '<p>Sale</p>' } };
const sendTest = (from: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/templates/x/send-test',
    headers: t.auth,
    payload: { to: 'me@example.com', from, ...draft },
  });

describe('a sender that is not one mailbox', () => {
  test.each(NOT_ONE_MAILBOX)(
    'holding %s is refused by a test send at /from, and nothing is sent',
    async (_what, from) => {
      const res = await sendTest(from);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details).toEqual([{ path: '/from', message: message('/from') }]);
      expect(sink.mails).toEqual([]);
    },
  );

  test.each(NOT_ONE_MAILBOX)('holding %s is refused as a form confirmationFrom', async (_what, confirmationFrom) => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/forms/sender',
      headers: t.auth,
      payload: {
        name: 'Sender',
        fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
        doubleOptIn: true,
        consentText: 'Yes',
        confirmationFrom,
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: '/confirmationFrom', message: message('/confirmationFrom') }]);
  });
});

test('a quoted display name may hold a comma and an @: the mail goes from its one address', async () => {
  const res = await sendTest('"Shop, Inc. (shop@example.com)" <news@shop.example.com>');
  expect(res.statusCode).toBe(200);
  const [mail] = await sink.waitFor(1);
  expect(mail?.from?.value).toEqual([{ name: 'Shop, Inc. (shop@example.com)', address: 'news@shop.example.com' }]);
  expect(sink.envelopes[0]?.from).toBe('news@shop.example.com');
});

test("through an SMTP credential, such a sender's Message-ID names its address's domain", async () => {
  const smtp = await startRawSmtpServer();
  try {
    await smtpDeliver({ host: smtp.host, port: smtp.port, requireTLS: false, pool: false })({
      messageId: '00000000-0000-4000-8000-000000000001',
      channel: 'email',
      to: 'ada@example.org',
      from: '"Shop (shop@home)" <news@shop.example.com>',
      subject: 'Hi',
      html: '<p>Hi</p>',
      headers: {},
    });
    const [raw] = await smtp.waitFor(1);
    expect(raw?.toString()).toContain('Message-ID: <00000000-0000-4000-8000-000000000001@shop.example.com>');
  } finally {
    closeSmtpPools();
    await smtp.close();
  }
});
