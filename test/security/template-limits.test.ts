import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { draft, e, hook, n, postTest, testRun } from '../test-runs/support.js';
import { previewDraft } from './template-preview.js';

/**
 * What a template may cost. The attacker is a journey author (an editor): a template is Liquid
 * they write, rendered by the server in previews, test sends, test runs and every send. A loop
 * over a huge range, loops nested over ranges, or a string doubled in a loop must end the
 * render with a Liquid error within seconds, not hold the process's CPU or fill its memory.
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://mail.waymark.test' });
});
afterAll(() => t?.close());

const HUGE_RANGE = '{% for i in (1..1000000000) %}{% endfor %}done';
const NESTED = '{% for i in (1..100000) %}{% for j in (1..100000) %}x{% endfor %}{% endfor %}';
const DOUBLED =
  "{% assign s = 'aaaaaaaaaaaaaaaa' %}{% for i in (1..40) %}{% assign s = s | replace: 'a', 'aa' %}{% endfor %}{{ s | size }}";

// 1 MB of outputs: liquidjs parses in time growing with the square of their count (minutes).
const MANY_OUTPUTS = `<p>${'{{a}}'.repeat(199_000)}</p>`;

/** A draft journey: its webhook, then an email whose HTML is `html`. */
const emailDraft = (html: string) =>
  draft(t, {
    nodes: [
      hook(),
      n('m', 'email.send', { from: 'News <news@example.com>', subject: 'Hi', html, category: 'transactional' }),
    ],
    edges: [e('hook', 'm')],
  });

const preview = (body: string) => previewDraft(t, body);

describe('a template that would loop or allocate without bound', () => {
  for (const [name, body] of [
    ['a loop over a billion numbers', HUGE_RANGE],
    ['loops nested over ranges', NESTED],
    ['a string doubled in a loop', DOUBLED],
  ] as const) {
    test(`${name}: the preview answers at once with a liquid-error on the body`, async () => {
      const started = Date.now();
      const res = await preview(body);
      expect(res.statusCode, res.body).toBe(200);
      expect(Date.now() - started).toBeLessThan(8000);
      expect(res.json().html).toBeNull();
      expect(res.json().problems).toEqual([
        expect.objectContaining({
          code: 'liquid-error',
          severity: 'error',
          part: 'body',
          message: expect.stringMatching(/limit exceeded/),
        }),
      ]);
    }, 20_000);
  }

  test('a body of 200 000 outputs: the preview answers at once with a liquid-error on the body', async () => {
    const started = Date.now();
    const res = await preview(MANY_OUTPUTS);
    expect(res.statusCode, res.body).toBe(200);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(res.json().html).toBeNull();
    expect(res.json().problems).toEqual([
      expect.objectContaining({ code: 'liquid-error', part: 'body', message: expect.stringMatching(/more than/) }),
    ]);
  }, 30_000);

  test('a body of 200 000 outputs: a test run answers at once 422 invalid_graph naming the param', async () => {
    const id = await emailDraft(MANY_OUTPUTS);
    const started = Date.now();
    const res = await postTest(t, id, { contact: { email: 'preview@example.com' } });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({
      code: 'invalid_graph',
      details: [expect.objectContaining({ nodeId: 'm', path: '/html', message: expect.stringMatching(/more than/) })],
    });
  }, 30_000);

  test('in a test run, the email step fails with template.render at once', async () => {
    const id = await emailDraft(HUGE_RANGE);
    const started = Date.now();
    const result = await testRun(t, id, { contact: { email: 'preview@example.com' } });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(result.status).toBe('failed');
    expect(result.messages).toEqual([]);
    expect(result.steps[1]).toMatchObject({
      nodeId: 'm',
      status: 'failed',
      error: { code: 'template.render', retryable: false, message: expect.stringMatching(/limit exceeded/) },
    });
  }, 20_000);

  test('a template within the limits still renders: a thousand rows of a loop', async () => {
    const res = await preview('{% for i in (1..1000) %}<p>{{ i }}</p>{% endfor %}');
    expect(res.json().problems.filter((p: { severity: string }) => p.severity === 'error')).toEqual([]);
    expect(res.json().html).toContain('<p>1000</p>');
  });
});
