import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { draft, e, hook, n, testRun } from '../test-runs/support.js';
import { previewDraft } from './template-preview.js';

/**
 * What a template may insert. The attacker is a journey author (an editor) writing Liquid:
 * `{% render %}`, `{% include %}` and `{% layout %}` insert stored snippets only (content.md),
 * never a file of the server and never a property a JavaScript object inherits.
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://mail.waymark.test' });
  const put = await t.app.inject({
    method: 'PUT',
    url: '/api/snippets/footer',
    headers: t.auth,
    payload: { body: '<p>Footer</p>' },
  });
  expect(put.statusCode, put.body).toBe(201);
});
afterAll(() => t?.close());

const INSERTS = [
  "{% render '../../../../etc/passwd' %}",
  "{% include '/etc/passwd' %}",
  "{% layout '/etc/hostname' %}x",
  "{% render 'constructor' %}",
  "{% include '__proto__' %}",
  "{% render 'toString' %}",
  "{% layout 'hasOwnProperty' %}x",
];

const preview = (body: string) => previewDraft(t, body);

describe('a template inserting what is no stored snippet', () => {
  for (const body of INSERTS) {
    test(`${body}: the preview's body is a liquid-error, showing nothing of it`, async () => {
      const res = await preview(body);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().html).toBeNull();
      expect(res.json().problems).toEqual([expect.objectContaining({ code: 'liquid-error', part: 'body' })]);
      expect(res.body).not.toMatch(/native code|\[object Object\]|root:/);
    });

    test(`${body}: a test run's email step fails with a template error`, async () => {
      const id = await draft(t, {
        nodes: [
          hook(),
          n('m', 'email.send', {
            from: 'News <news@example.com>',
            subject: 'Hi',
            html: body,
            category: 'transactional',
          }),
        ],
        edges: [e('hook', 'm')],
      });
      const result = await testRun(t, id, { contact: { email: 'preview@example.com' } });
      expect(result.messages).toEqual([]);
      expect(result.steps[1]).toMatchObject({ nodeId: 'm', status: 'failed', error: { retryable: false } });
      expect(JSON.stringify(result)).not.toMatch(/native code|\[object Object\]|root:/);
    });
  }

  test('a stored snippet is still inserted', async () => {
    const res = await preview("{% render 'footer' %}");
    expect(res.json().html).toContain('<p>Footer</p>');
  });
});
