import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://forms.example.com' });
});
afterAll(() => t.close());

const fields = [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }];
const putForm = (id: string, payload: object) =>
  t.app.inject({ method: 'PUT', url: `/api/forms/${id}`, headers: t.auth, payload });
const formPost = (id: string, payload: string) =>
  t.app.inject({
    method: 'POST',
    url: `/f/${id}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload,
  });

describe('a form redirect', () => {
  test.each([
    ['a trailing line break', 'https://example.com/thanks\n'],
    ['a header after CR LF', 'https://example.com/thanks?a=\r\nSet-Cookie: x=1'],
    ['a tab', 'https://example.com/th\tanks'],
    ['an escape character', 'https://example.com/\u001b[2Jthanks'],
    ['a leading space', ' https://example.com/thanks'],
  ])('holding %s is refused at /redirect, and no form is stored', async (_what, redirect) => {
    const res = await putForm('r3', { name: 'R3', fields, redirect });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/redirect', message: 'redirect must be an absolute http(s) URL, without spaces or control characters' },
    ]);
    expect((await t.app.inject({ url: '/api/forms/r3', headers: t.auth })).statusCode).toBe(404);
  });

  test('a form post goes on to a redirect holding characters beyond ASCII, percent-encoded', async () => {
    expect((await putForm('intl', { name: 'Intl', fields, redirect: 'https://example.com/日本?q=é' })).statusCode).toBe(
      201,
    );
    const res = await formPost('intl', 'email=intl%40example.com&_hp=');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('https://example.com/%E6%97%A5%E6%9C%AC?q=%C3%A9');
  });
});

describe('the form-action policy of a page holding a form with a redirect elsewhere', () => {
  test('the hosted page and the page shown again after a refused post both allow the redirect origin', async () => {
    await putForm('away', { name: 'Away', fields, redirect: 'https://shop.example.com/thanks' });
    const page = await t.app.inject({ url: '/f/away' });
    const again = await formPost('away', 'email=nope&_hp=');
    expect(again.statusCode).toBe(400);
    for (const res of [page, again])
      expect(res.headers['content-security-policy']).toContain("form-action 'self' https://shop.example.com");
  });
});
