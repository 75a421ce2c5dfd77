import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../../channels/smtp-sink.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
  t = await createTestApp({ PUBLIC_URL: 'https://mail.example.com', SMTP_URL: sink.url });
});
afterAll(async () => {
  await t.close();
  await sink.close();
});

const api = (method: 'PUT' | 'POST', url: string, payload: object) =>
  t.app.inject({ method, url, headers: t.auth, payload });
const links = (count: number) =>
  Array.from({ length: count }, (_, i) => `<a href="https://shop.example.com/p/${i}">item ${i}</a>`).join('\n');
const errors = (problems: { severity: string }[]) => problems.filter((p) => p.severity === 'error');
const tracked = (html: string) => html.match(/href="https:\/\/mail\.example\.com\/t\/c\/[^"]+"/g)?.length ?? 0;

describe('a template with thousands of links', () => {
  test('5,000 links written in the body are each tracked, and a test send delivers them', async () => {
    await api('PUT', '/api/templates/catalogue', {
      name: 'Catalogue',
      format: 'html',
      subject: 'All',
      body: links(5000),
    });
    const preview = await api('POST', '/api/templates/catalogue/preview', { category: 'transactional' });
    expect(errors(preview.json().problems)).toEqual([]);
    expect(tracked(preview.json().html)).toBe(5000);
    const sent = await api('POST', '/api/templates/catalogue/send-test', {
      to: 'me@example.com',
      from: 'shop@example.com',
      category: 'transactional',
    });
    expect(sent.statusCode).toBe(200);
    const [mail] = await sink.waitFor(1);
    expect(tracked(String(mail?.html))).toBe(5000);
    expect(mail?.html).not.toContain('https://shop.example.com/p/');
  });

  test('a snippet’s links are each tracked where it is inserted', async () => {
    await api('PUT', '/api/snippets/all-products', { body: links(1000) });
    const res = await api('POST', '/api/templates/x/preview', {
      category: 'transactional',
      draft: { format: 'html', subject: 'S', body: "<div>{% render 'all-products' %}</div>" },
    });
    expect(errors(res.json().problems)).toEqual([]);
    expect(tracked(res.json().html)).toBe(1000);
  });
});

describe('snippets a render does not insert', () => {
  test('play no part in it: a broken one does not fail a preview or a double opt-in signup', async () => {
    await api('PUT', '/api/snippets/unused-broken', { body: '<a href="https://x.example.com/">{{ never closed' });
    await api('PUT', '/api/snippets/unused-large', { body: links(5000) });
    const res = await api('POST', '/api/templates/x/preview', {
      category: 'transactional',
      draft: { format: 'html', subject: 'S', body: '<p><a href="https://shop.example.com/">Shop</a></p>' },
    });
    expect(res.json().problems).toEqual([]);
    expect(tracked(res.json().html)).toBe(1);

    await api('PUT', '/api/forms/news', {
      name: 'News',
      fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
      consentText: 'Send me news',
      doubleOptIn: true,
      confirmationFrom: 'news@example.com',
    });
    const before = sink.mails.length;
    const signup = await t.app.inject({
      method: 'POST',
      url: '/f/news',
      payload: { email: 'ada@example.com', _consent: true },
    });
    expect(signup.statusCode).toBe(202);
    const mails = await sink.waitFor(before + 1);
    expect(mails[before]?.html).toMatch(/href="https:\/\/mail\.example\.com\/f\/confirm\/[^"]+"/);
  });
});
