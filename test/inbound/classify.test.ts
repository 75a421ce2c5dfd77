import { describe, expect, test } from 'vitest';
import { classify } from '../../engine/inbound/classify.js';
import { parseInbound } from '../../engine/inbound/parse.js';

const kindOf = async (headers: string, body = 'Hello') =>
  classify(await parseInbound(Buffer.from(`From: ann@example.com\r\n${headers}\r\n\r\n${body}`))).kind;

describe('telling replies, automatic answers and delivery reports apart', () => {
  test('a person’s answer is a reply', async () => {
    expect(await kindOf('Subject: Re: Out of stock items?')).toBe('reply');
  });

  test.each([
    ['Auto-Submitted: auto-replied', 'Subject: Re: Spring offer\r\nAuto-Submitted: auto-replied'],
    ['X-Autoreply', 'Subject: Re: Spring offer\r\nX-Autoreply: yes'],
    ['an Outlook subject', 'Subject: Automatic reply: Spring offer'],
    ['an out-of-office subject', 'Subject: Out of Office: Spring offer'],
    ['a German subject', 'Subject: Abwesenheitsnotiz: Angebot'],
    ['a Finnish subject', 'Subject: Automaattinen vastaus: Tarjous'],
  ])('%s marks an automatic answer', async (_name, headers) => {
    expect(await kindOf(headers)).toBe('auto-reply');
  });

  test('Auto-Submitted: no is a person’s answer', async () => {
    expect(await kindOf('Subject: Re: Spring offer\r\nAuto-Submitted: no')).toBe('reply');
  });

  test('a multipart/report of a failure is a bounce, hard for 5.x.x', async () => {
    const report = 'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\nSubject: Failure';
    const body =
      '--b\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n' +
      'Reporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; gone@example.org\r\nAction: failed\r\n' +
      'Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n--b--\r\n';
    const mail = await parseInbound(Buffer.from(`From: MAILER-DAEMON@mx.example.net\r\n${report}\r\n\r\n${body}`));
    expect(classify(mail)).toEqual({ kind: 'bounce', bounce: 'hard', status: '5.1.1' });
  });
});
