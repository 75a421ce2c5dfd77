import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../../channels/smtp-sink.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
let sink: SmtpSink;
/** The server log's lines, as JSON. */
const logLines: Record<string, unknown>[] = [];
beforeAll(async () => {
  sink = await startSmtpSink();
  const log = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  t = await createTestApp(
    { PUBLIC_URL: 'https://forms.example.com', SMTP_URL: sink.url },
    { logger: pino({ level: 'warn' }, log) },
  );
});
afterAll(async () => {
  await t?.close();
  await sink.close();
});

const api = (method: 'POST' | 'PUT', url: string, payload: object) =>
  t.app.inject({ method, url, headers: t.auth, payload });
const template = (id: string, body: string) =>
  api('PUT', `/api/templates/${id}`, { name: id, format: 'html', subject: 'Confirm, please', body });
const form = (id: string, confirmationTemplateId: string) =>
  api('PUT', `/api/forms/${id}`, {
    name: 'News',
    fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
    consentText: 'Send me news',
    doubleOptIn: true,
    confirmationFrom: 'news@example.com',
    confirmationTemplateId,
  });

describe('a form’s confirmation template', () => {
  test('one whose Liquid does not parse is refused when the form is saved, naming the field', async () => {
    await template('unclosed', '<p>{% if contact.email %}Hi <a href="{{ confirmUrl }}">confirm</a></p>');
    const res = await form('refused', 'unclosed');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [
        {
          path: '/confirmationTemplateId',
          message: expect.stringMatching(/^template unclosed does not parse: body: /),
        },
      ],
    });
    const stored = await t.app.inject({ url: '/api/forms/refused', headers: t.auth });
    expect(stored.statusCode).toBe(404);
  });

  test('one broken after the form was saved sends the built-in mail and logs a warning naming the form', async () => {
    await template('later', '<p><a href="{{ confirmUrl }}">Confirm</a></p>');
    expect((await form('later-broken', 'later')).statusCode).toBe(201);
    await template('later', '<p>{{ confirmUrl | no_such_filter }}</p>');
    const res = await t.app.inject({
      method: 'POST',
      url: '/f/later-broken',
      payload: { email: 'ivan@example.com', _consent: 'on' },
    });
    expect(res.statusCode).toBe(202);
    const [mail] = await sink.waitFor(1);
    expect(mail?.subject).toBe('Please confirm your subscription');
    expect(mail?.html).toContain('https://forms.example.com/f/confirm/');
    expect(logLines).toContainEqual(
      expect.objectContaining({
        level: 40,
        formId: 'later-broken',
        templateId: 'later',
        problem: expect.stringContaining('no_such_filter'),
      }),
    );
  });
});
