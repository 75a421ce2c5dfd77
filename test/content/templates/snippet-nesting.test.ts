import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://mail.example.com' });
});
afterAll(async () => {
  await t.close();
});

const snippet = (name: string, body: string) =>
  t.app.inject({ method: 'PUT', url: `/api/snippets/${name}`, headers: t.auth, payload: { body } });
const preview = (body: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/templates/x/preview',
    headers: t.auth,
    payload: { category: 'transactional', draft: { format: 'html', subject: 'S', body } },
  });

describe('snippet nesting is checked as snippets are inserted, whatever the tag’s form', () => {
  test('a cycle through {% liquid include %} is a Liquid error naming the cycle', async () => {
    await snippet('tick', '{% liquid include "tock" %}');
    await snippet('tock', "{% liquid render 'tick' %}");
    const res = await preview("<p>{% render 'tick' %}</p>");
    expect(res.json().html).toBeNull();
    expect(res.json().problems).toEqual([
      expect.objectContaining({
        code: 'liquid-error',
        part: 'body',
        message: expect.stringContaining('snippet cycle: tick → tock → tick'),
      }),
    ]);
  });

  test('a cycle through a name held in a variable is a Liquid error', async () => {
    await snippet('self', '{% assign n = "self" %}x{% include n %}');
    const res = await preview('{% assign first = "self" %}{% include first %}');
    expect(res.json().problems).toEqual([
      expect.objectContaining({ code: 'liquid-error', message: expect.stringContaining('snippet cycle: self → self') }),
    ]);
  });

  test('a sixth level reached through variables and {% liquid %} is a Liquid error; five render', async () => {
    for (let i = 1; i <= 6; i++)
      await snippet(`deep${i}`, i < 6 ? `${i}{% liquid assign n = "deep${i + 1}"\ninclude n %}` : '6');
    const five = await preview('<p>{% liquid include "deep2" %}</p>');
    expect(five.json()).toMatchObject({ problems: [] });
    expect(five.json().html).toContain('<p>23456</p>');
    const six = await preview('<p>{% liquid include "deep1" %}</p>');
    expect(six.json().problems).toEqual([
      expect.objectContaining({
        code: 'liquid-error',
        message: expect.stringContaining('snippets nest deeper than 5'),
      }),
    ]);
  });

  test('a snippet rendered for each item of a list, or twice side by side, is no cycle', async () => {
    await snippet('item', '[{{ x }}]');
    const res = await preview(
      "{% assign xs = 'a,b,c' | split: ',' %}{% render 'item' for xs as x %}{% render 'item', x: 'd' %}",
    );
    expect(res.json().problems).toEqual([]);
    expect(res.json().html).toContain('[a][b][c][d]');
  });
});
