import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://mail.example.com' });
});
afterAll(() => t.close());

const call = (method: 'PUT' | 'POST' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });
const history = async (object: string) =>
  (
    (await t.app.inject({ url: `/api/audit?object=${object}`, headers: t.auth })).json() as {
      entries: { action: string; object: { type: string; id: string } }[];
    }
  ).entries.map((e) => `${e.action} ${e.object.type}:${e.object.id}`);

const template = { name: 'Welcome', format: 'html', subject: 'Hi', body: '<p>Hello</p>' };
const form = {
  name: 'News',
  fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
};

describe('the audit log of content', () => {
  test('a template saved for the first time is created, a later save updated', async () => {
    expect((await call('PUT', '/api/templates/audited', template)).statusCode).toBe(201);
    expect((await call('PUT', '/api/templates/audited', { ...template, body: '<p>Again</p>' })).statusCode).toBe(200);
    await call('DELETE', '/api/templates/audited');
    expect(await history('audited')).toEqual([
      'template.deleted template:audited',
      'template.updated template:audited',
      'template.created template:audited',
    ]);
  });

  test('a preview changes nothing and records nothing', async () => {
    await call('PUT', '/api/templates/previewed', template);
    const res = await call('POST', '/api/templates/previewed/preview', {});
    expect(res.statusCode).toBe(200);
    const draft = await call('POST', '/api/templates/not-saved/preview', {
      draft: { format: 'html', subject: 'Hi', body: '<p>Hello</p>' },
    });
    expect(draft.statusCode).toBe(200);
    expect(await history('previewed')).toEqual(['template.created template:previewed']);
    expect(await history('not-saved')).toEqual([]);
  });

  test('a test send is recorded as one, not as a new template', async () => {
    await call('PUT', '/api/templates/tested', template);
    const res = await call('POST', '/api/templates/tested/send-test', {
      to: 'me@example.com',
      from: 'shop@example.com',
    });
    expect(res.statusCode).toBe(200);
    expect(await history('tested')).toEqual(['template.test_sent template:tested', 'template.created template:tested']);
  });

  test('snippet changes name the snippet', async () => {
    expect((await call('PUT', '/api/snippets/footer', { body: 'Bye' })).statusCode).toBe(201);
    await call('PUT', '/api/snippets/footer', { body: 'Bye now' });
    await call('DELETE', '/api/snippets/footer');
    expect(await history('footer')).toEqual([
      'snippet.deleted snippet:footer',
      'snippet.updated snippet:footer',
      'snippet.created snippet:footer',
    ]);
  });

  test('a form saved for the first time is created, a later save updated', async () => {
    expect((await call('PUT', '/api/forms/signup', form)).statusCode).toBe(201);
    expect((await call('PUT', '/api/forms/signup', { ...form, name: 'Newsletter' })).statusCode).toBe(200);
    expect(await history('signup')).toEqual(['form.updated form:signup', 'form.created form:signup']);
  });
});
