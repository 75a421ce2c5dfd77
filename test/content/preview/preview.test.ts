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

const preview = (id: string, payload: object) =>
  t.app.inject({ method: 'POST', url: `/api/templates/${id}/preview`, headers: t.auth, payload });
const draft = (body: string, extra: object = {}) => ({ draft: { format: 'html', subject: 'S', body, ...extra } });
const codes = (res: { json(): { problems: { code: string }[] } }) => res.json().problems.map((p) => p.code);

const MJML = `<mjml><mj-body><mj-section><mj-column>
  <mj-text>Hello {{ contact.attributes.name }}</mj-text>
  <mj-button href="https://shop.example.com/sale">Shop</mj-button>
  <mj-text><a href="{{ unsubscribeUrl }}">Leave</a></mj-text>
</mj-column></mj-section></mj-body></mjml>`;

describe('rendering', () => {
  test('an MJML template renders responsive HTML with the values escaped and its links tracked', async () => {
    const res = await preview('x', {
      contact: { email: 'ada@example.com', attributes: { name: '<script>alert(1)</script>' } },
      draft: { format: 'mjml', subject: 'Hi {{ contact.attributes.name }}', body: MJML },
    });
    expect(res.statusCode).toBe(200);
    const { html, subject, problems } = res.json();
    expect(html).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('@media'); // MJML's responsive styles
    expect(html).toMatch(/href="https:\/\/mail\.example\.com\/t\/c\/p\.[^"]+"[^>]*>\s*Shop/);
    expect(html).not.toContain('https://shop.example.com/sale');
    expect(html).toMatch(/href="https:\/\/mail\.example\.com\/unsubscribe\/[^"]+">Leave/);
    expect(html).toContain('/t/o/');
    expect(subject).toBe('Hi <script>alert(1)</script>');
    expect(problems).toEqual([]);
  });

  test('a preview link redirects to its target', async () => {
    const res = await preview('x', draft('<a href="https://shop.example.com/a?b=1&amp;c=2">go</a>'));
    const link = /href="https:\/\/mail\.example\.com(\/t\/c\/[^"]+)"/.exec(res.json().html)?.[1];
    const click = await t.app.inject({ url: link ?? '' });
    expect(click.statusCode).toBe(302);
    expect(click.headers.location).toBe('https://shop.example.com/a?b=1&c=2');
  });

  test('a snippet is inserted with the template’s scope', async () => {
    await t.app.inject({
      method: 'PUT',
      url: '/api/snippets/greeting',
      headers: t.auth,
      payload: { body: '<p>Dear {{ contact.attributes.name }}</p>' },
    });
    const res = await preview('x', {
      contact: { attributes: { name: 'Ada & Co' } },
      ...draft("{% render 'greeting' %}"),
    });
    expect(res.json().html).toContain('<p>Dear Ada &amp; Co</p>');
  });

  test('| raw opts out of the body’s escaping; subject and text are never escaped', async () => {
    const res = await preview('x', {
      category: 'transactional',
      contact: { attributes: { h: '<b>bold</b>' } },
      draft: {
        format: 'html',
        subject: 'S {{ contact.attributes.h }}',
        body: '<p>{{ contact.attributes.h | raw }}|{{ contact.attributes.h }}</p>',
        text: 'T {{ contact.attributes.h }}',
      },
    });
    expect(res.json()).toMatchObject({ subject: 'S <b>bold</b>', text: 'T <b>bold</b>' });
    expect(res.json().html).toContain('<p><b>bold</b>|&lt;b&gt;bold&lt;/b&gt;</p>');
  });

  test('a snippet sees the variables passed to it', async () => {
    await t.app.inject({
      method: 'PUT',
      url: '/api/snippets/hello',
      headers: t.auth,
      payload: { body: '{{ greeting }}, {{ contact.email }}' },
    });
    const res = await preview('x', {
      category: 'transactional',
      contact: { email: 'ada@example.com' },
      ...draft("<p>{% render 'hello', greeting: 'Hey' %}</p>"),
    });
    expect(res.json().html).toContain('<p>Hey, ada@example.com</p>');
  });

  test('snippets nest 5 deep; a sixth level or a cycle is a Liquid error', async () => {
    for (let i = 1; i <= 6; i++)
      await t.app.inject({
        method: 'PUT',
        url: `/api/snippets/level${i}`,
        headers: t.auth,
        payload: { body: i < 6 ? `${i}{% render 'level${i + 1}' %}` : '6' },
      });
    const five = await preview('x', { category: 'transactional', ...draft("<p>{% render 'level2' %}</p>") });
    expect(five.json()).toMatchObject({ problems: [] });
    expect(five.json().html).toContain('<p>23456</p>');
    const six = await preview('x', { category: 'transactional', ...draft("<p>{% render 'level1' %}</p>") });
    expect(six.json()).toMatchObject({ html: null, problems: [{ code: 'liquid-error', part: 'body' }] });
    for (const [name, other] of [
      ['ping', 'pong'],
      ['pong', 'ping'],
    ])
      await t.app.inject({
        method: 'PUT',
        url: `/api/snippets/${name}`,
        headers: t.auth,
        payload: { body: `{% include '${other}' %}` },
      });
    const cycle = await preview('x', { category: 'transactional', ...draft("{% render 'ping' %}") });
    expect(cycle.json()).toMatchObject({ html: null, problems: [{ code: 'liquid-error', part: 'body' }] });
  });

  test('an older version renders that version', async () => {
    for (const subject of ['First', 'Second'])
      await t.app.inject({
        method: 'PUT',
        url: '/api/templates/two-versions',
        headers: t.auth,
        payload: { name: 'Two', format: 'html', subject, body: `<p>${subject}</p>` },
      });
    const res = await preview('two-versions', { category: 'transactional', version: 1 });
    expect(res.json()).toMatchObject({ subject: 'First', text: 'First' });
    expect((await preview('two-versions', { category: 'transactional' })).json().subject).toBe('Second');
  });

  test('a stored and a typed contact at once are refused: 400', async () => {
    const res = await preview('x', {
      contactId: '00000000-0000-4000-8000-000000000000',
      contact: { email: 'ada@example.com' },
      ...draft('x'),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
  });

  test('without a text part, one is generated from the HTML', async () => {
    const res = await preview('x', {
      category: 'transactional',
      ...draft('<h1>Order &amp; more</h1><p>See <a href="https://shop.example.com/o/1">your order</a></p>'),
    });
    expect(res.json().text).toBe('Order & more\nSee your order [https://shop.example.com/o/1]');
  });

  test('a version in the body beyond any a template can have is refused: 400', async () => {
    await t.app.inject({
      method: 'PUT',
      url: '/api/templates/far-version',
      headers: t.auth,
      payload: { name: 'Far', format: 'html', subject: 'S', body: '<p>Hi</p>' },
    });
    for (const [route, payload] of [
      ['preview', { version: 2147483648 }],
      ['send-test', { to: 'me@example.com', from: 'shop@example.com', version: 2147483648 }],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/templates/far-version/${route}`,
        headers: t.auth,
        payload,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '/version' }] });
    }
  });

  test('a preview with no body renders the stored template as marketing mail for an empty contact', async () => {
    await t.app.inject({
      method: 'PUT',
      url: '/api/templates/bodiless',
      headers: t.auth,
      payload: { name: 'Bodiless', format: 'html', subject: 'Hi {{ contact.email }}!', body: '<p>News</p>' },
    });
    for (const headers of [t.auth, { ...t.auth, 'content-type': 'application/json' }]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/templates/bodiless/preview', headers });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ subject: 'Hi !', text: expect.stringContaining('News') });
      expect(codes(res)).toEqual(['missing-unsubscribe']);
    }
  });

  test('a stored contact is previewed by id; an unknown one is 404', async () => {
    const c = await t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: t.auth,
      payload: { email: 'grace@example.com' },
    });
    const res = await preview('x', { contactId: c.json().id, ...draft('<p>{{ contact.email }}</p>') });
    expect(res.json().html).toContain('<p>grace@example.com</p>');
    const unknown = await preview('x', { contactId: '00000000-0000-4000-8000-000000000000', ...draft('x') });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('the problem list', () => {
  test('a Liquid error names its part, line and column, and that part is null', async () => {
    const res = await preview('x', draft('<p>ok</p>\n<p>{% if contact.email %}</p>'));
    const [problem] = res.json().problems;
    expect(problem).toMatchObject({ code: 'liquid-error', severity: 'error', part: 'body', line: 2 });
    expect(problem.column).toBeGreaterThan(0);
    expect(res.json().html).toBeNull();
  });

  test('an unknown snippet is a Liquid error', async () => {
    const res = await preview('x', draft("{% render 'nowhere' %}"));
    expect(res.json().problems[0]).toMatchObject({
      code: 'liquid-error',
      part: 'body',
      line: 1,
      message: 'body: no snippet nowhere, line:1, col:1',
    });
  });

  test('a Liquid error after a link on its line is at the column the author wrote it', async () => {
    const link = '<a href="https://shop.example/">Shop</a> <a href="https://blog.example/">Blog</a> ';
    const res = await preview('x', draft(`<p>hi</p>\n${link}{% render 'nowhere' %}`));
    expect(res.json().problems[0]).toMatchObject({
      code: 'liquid-error',
      part: 'body',
      line: 2,
      column: link.length + 1,
      message: `body: no snippet nowhere, line:2, col:${link.length + 1}`,
    });
  });

  test('a Liquid error inside a snippet is at the line and column of the part that inserts it, naming the snippet', async () => {
    const put = (name: string, body: string) =>
      t.app.inject({ method: 'PUT', url: `/api/snippets/${name}`, headers: t.auth, payload: { body } });
    await put('faulty', 'one\ntwo\nthree {{ contact.email | nofilter }}');
    await put('wrapper', "w\n{% render 'faulty' %}");
    const direct = await preview('x', draft("<p>1</p>\n<p>2</p>\n<p>3</p>\n  {% render 'faulty' %}"));
    expect(direct.json().problems).toEqual([
      expect.objectContaining({ code: 'liquid-error', part: 'body', line: 4, column: 3 }),
    ]);
    expect(direct.json().problems[0].message).toContain('snippet faulty, line 3, col 7');
    const nested = await preview('x', draft('S', { text: "a\n b {% include 'wrapper' %}" }));
    expect(nested.json().problems).toContainEqual(
      expect.objectContaining({ code: 'liquid-error', part: 'text', line: 2, column: 4 }),
    );
  });

  test('an MJML validation error is a warning with its line', async () => {
    const res = await preview('x', {
      category: 'transactional',
      draft: { format: 'mjml', subject: 'S', body: '<mjml><mj-body>\n<mj-nonsense></mj-nonsense></mj-body></mjml>' },
    });
    expect(res.json().problems).toContainEqual(
      expect.objectContaining({ code: 'mjml-error', severity: 'warning', line: 2 }),
    );
  });

  test('a stored MJML template that does not compile is a warning, and its body goes out as written', async () => {
    for (const [id, body] of [
      ['not-mjml', 'not mjml at all, <a href="https://shop.example.com/">shop</a>'],
      ['empty-mjml', ''],
    ] as const) {
      await t.app.inject({
        method: 'PUT',
        url: `/api/templates/${id}`,
        headers: t.auth,
        payload: { name: 'Broken', format: 'mjml', subject: 'S', body },
      });
      const res = await preview(id, { category: 'transactional' });
      expect(res.statusCode).toBe(200);
      expect(res.json().problems).toEqual([
        expect.objectContaining({ code: 'mjml-error', severity: 'warning', part: 'body' }),
      ]);
      expect(res.json()).toMatchObject({ subject: 'S', html: expect.any(String), text: expect.any(String) });
    }
    const shown = await preview('not-mjml', { category: 'transactional' });
    expect(shown.json().html).toMatch(
      /^not mjml at all, <a href="https:\/\/mail\.example\.com\/t\/c\/[^"]+">shop<\/a>/,
    );
  });

  test('a link without https', async () => {
    const res = await preview('x', {
      category: 'transactional',
      ...draft('<a href="http://insecure.example.com/">x</a>'),
    });
    expect(res.json().problems).toEqual([
      expect.objectContaining({ code: 'insecure-link', url: 'http://insecure.example.com/' }),
    ]);
  });

  test('a link that is not an absolute URL leads nowhere once tracked; an anchor and mailto pass', async () => {
    const res = await preview('x', {
      category: 'transactional',
      ...draft(
        '<a href="/pricing">p</a><a href="www.example.com">w</a><a href="#top">t</a><a href="mailto:help@example.com">m</a><a href="https://example.com/">h</a>',
      ),
    });
    expect(res.json().problems).toEqual([
      expect.objectContaining({ code: 'relative-link', severity: 'warning', url: '/pricing' }),
      expect.objectContaining({ code: 'relative-link', severity: 'warning', url: 'www.example.com' }),
    ]);
  });

  test('an image without alt; alt="" passes', async () => {
    const res = await preview('x', {
      category: 'transactional',
      ...draft('<img src="https://cdn.example.com/a.png"><img src="https://cdn.example.com/b.png" alt="">'),
    });
    expect(res.json().problems).toEqual([
      expect.objectContaining({ code: 'image-without-alt', src: 'https://cdn.example.com/a.png' }),
    ]);
  });

  test('HTML over 102 KiB, where Gmail clips', async () => {
    const res = await preview('x', { category: 'transactional', ...draft(`<p>${'x'.repeat(110_000)}</p>`) });
    expect(res.json().size).toBeGreaterThan(104_448);
    expect(codes(res)).toEqual(['html-too-large']);
  });

  test('marketing mail without an unsubscribe link', async () => {
    const res = await preview('x', draft('<p>Buy now</p>'));
    expect(codes(res)).toEqual(['missing-unsubscribe']);
    expect(res.json().html).toContain('Unsubscribe</a>'); // the default footer production adds
  });

  test('marketing mail linking to {{ unsubscribeUrl }} with a query string has its unsubscribe link: no footer', async () => {
    const res = await preview('x', draft('<p>Buy now</p><a href="{{ unsubscribeUrl }}?utm=1">Leave</a>'));
    expect(codes(res)).toEqual([]);
    expect(res.json().html).toMatch(/href="https:\/\/mail\.example\.com\/unsubscribe\/[^"?]+\?utm=1">Leave/);
    expect(res.json().html).not.toContain('Unsubscribe</a>');
  });
});

describe('test send', () => {
  test('delivers the preview to the address given, subject prefixed [Test]', async () => {
    await t.app.inject({
      method: 'PUT',
      url: '/api/templates/promo',
      headers: t.auth,
      payload: { name: 'Promo', format: 'html', subject: 'Sale for {{ contact.email }}', body: '<p>Sale</p>' },
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/templates/promo/send-test',
      headers: t.auth,
      payload: { to: 'me@example.com', from: 'shop@example.com', contact: { email: 'ada@example.com' } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ to: 'me@example.com', subject: '[Test] Sale for ada@example.com' });
    const [mail] = await sink.waitFor(1);
    expect(mail?.subject).toBe('[Test] Sale for ada@example.com');
    expect(mail?.html).toContain('<p>Sale</p>');
  });

  test('a sender that is no email address answers 400 at /from and sends nothing', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/templates/x/send-test',
      headers: t.auth,
      payload: { to: 'me@example.com', from: 'Shop', ...draft('<p>Sale</p>') },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [
        {
          path: '/from',
          message: '/from must be an email address, such as news@example.com or News <news@example.com>',
        },
      ],
    });
    const sent = await t.app.inject({ url: '/api/messages?limit=1000', headers: t.auth });
    expect(sent.json().messages).not.toContainEqual(expect.objectContaining({ subject: '[Test] S' }));
  });

  test('a template that fails Liquid answers 422 template_error', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/templates/x/send-test',
      headers: t.auth,
      payload: { to: 'me@example.com', from: 'shop@example.com', ...draft('{% if %}') },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('template_error');
    expect(res.json().error.details.length).toBeGreaterThan(0);
  });

  test('a stored MJML template that does not compile is sent as written', async () => {
    await t.app.inject({
      method: 'PUT',
      url: '/api/templates/plain-as-mjml',
      headers: t.auth,
      payload: { name: 'Plain', format: 'mjml', subject: 'S', body: '<p>plain html</p>' },
    });
    const before = sink.mails.length;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/templates/plain-as-mjml/send-test',
      headers: t.auth,
      payload: { to: 'me@example.com', from: 'shop@example.com' },
    });
    expect(res.statusCode).toBe(200);
    const mails = await sink.waitFor(before + 1);
    expect(mails[before]?.html).toContain('<p>plain html</p>');
  });
});
