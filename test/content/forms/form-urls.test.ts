import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://forms.example.com' });
  await t.app.inject({
    method: 'PUT',
    url: '/api/forms/signup',
    headers: t.auth,
    payload: {
      name: 'Signup',
      fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
    },
  });
});
afterAll(() => t.close());

// A NUL or a lone surrogate no form id or token holds: such a URL names no form or link.
const ALTERED = ['%00', 'signup%00', 'sign%00up', 'signup%ED%A0%80'];

describe('a public form URL holding a character no id or token has', () => {
  test('the page and a confirmation link answer the 404 page', async () => {
    for (const url of [...ALTERED.map((id) => `/f/${id}`), '/f/confirm/%00', '/f/confirm/abc.%00def']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toContain('text/html');
    }
  });

  test('a submission answers 404: the page to a form post, JSON to a JSON post', async () => {
    for (const id of ALTERED) {
      const page = await t.app.inject({
        method: 'POST',
        url: `/f/${id}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'email=a%40example.com&_hp=',
      });
      expect(page.statusCode, id).toBe(404);
      expect(page.headers['content-type'], id).toContain('text/html');
      const json = await t.app.inject({ method: 'POST', url: `/f/${id}`, payload: { email: 'a@example.com' } });
      expect(json.statusCode, id).toBe(404);
      expect(json.json().error.code, id).toBe('not_found');
    }
  });

  test('the embed script answers 404 not_found', async () => {
    for (const id of ALTERED) {
      const res = await t.app.inject({ url: `/f/${id}/embed.js` });
      expect(res.statusCode, id).toBe(404);
      expect(res.json().error.code, id).toBe('not_found');
    }
  });
});
