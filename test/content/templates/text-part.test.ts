import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// The plain-text part made from a template's HTML when it has none: words of different cells
// or blocks stay apart.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const textOf = async (body: string) => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/templates/x/preview',
    headers: t.auth,
    payload: { category: 'transactional', draft: { format: 'html', subject: 'S', body } },
  });
  return res.json().text;
};

describe('the text part generated from HTML', () => {
  test('table cells of a row are apart, each row on its line', async () => {
    expect(await textOf('<table><tr><td>A</td><td>B</td></tr><tr><th>C</th><th>D</th></tr></table>')).toBe('A B\nC D');
  });

  test('a block starts a line: a list after text, each item on its own', async () => {
    expect(await textOf('x<ul><li>one</li><li>two</li></ul>y<div>z</div>')).toBe('x\none\ntwo\ny\nz');
  });

  test('blocks one after another, or nested, make one line break, not a blank line', async () => {
    expect(await textOf('<div><h1>Title</h1>\n  <p>First</p><p>Second</p></div>')).toBe('Title\nFirst\nSecond');
  });
});
