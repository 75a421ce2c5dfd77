import { renderTemplate } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://mail.example.com' });
});
afterAll(async () => {
  await t.close();
});

const preview = (body: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/templates/x/preview',
    headers: t.auth,
    payload: { category: 'transactional', draft: { format: 'html', subject: 'S', body } },
  });
// A string of 16 · 2^n characters, built by doubling.
const doubled = (n: number) =>
  `{% assign s = 'xyxyxyxyxyxyxyxy' %}{% for i in (1..${n}) %}{% assign s = s | append: s %}{% endfor %}`;

describe('what one filter call may do', () => {
  test('a string doubled past 1,000,000 characters fails at the append that makes it, before any sort', async () => {
    const res = await preview(`${doubled(19)}{% assign a = s | split: '' | sort | uniq %}{{ a | size }}`);
    expect(res.json().html).toBeNull();
    expect(res.json().problems).toEqual([
      expect.objectContaining({
        code: 'liquid-error',
        part: 'body',
        message: expect.stringContaining(
          'filter append: size limit exceeded, a string of 1048576 characters is more than the 1000000 a filter takes or makes',
        ),
      }),
    ]);
  });

  test('an array past 50,000 elements fails at the split that makes it', async () => {
    const res = await preview(`${doubled(12)}{% assign a = s | split: '' | sort %}{{ a | size }}`);
    expect(res.json().problems).toEqual([
      expect.objectContaining({
        code: 'liquid-error',
        message: expect.stringContaining(
          'filter split: size limit exceeded, an array of 65536 elements is more than the 50000',
        ),
      }),
    ]);
  });

  test('within the bounds filters work as before', async () => {
    const res = await preview(
      `${doubled(11)}{% assign a = s | split: '' | sort | uniq %}{{ a | join: '' }} {{ s | size }}`,
    );
    expect(res.json().problems).toEqual([]);
    expect(res.json().html).toContain('xy 32768');
  });

  test('a node’s template param is bound alike', async () => {
    const scope = { contact: null, trigger: {}, steps: {}, run: {} };
    await expect(renderTemplate(`${doubled(19)}{{ s | size }}`, scope)).rejects.toThrow(
      /filter append: size limit exceeded, a string of/,
    );
  });
});
