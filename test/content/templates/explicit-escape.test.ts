import { renderTemplate, withoutLinkMarks } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://mail.example.com' });
});
afterAll(async () => {
  await t.close();
});

const NAME = `Ada & "Co" <b>'s</b>`;
const ONCE = 'Ada &amp; &#34;Co&#34; &lt;b&gt;&#39;s&lt;/b&gt;';

/** The preview's HTML body of a template whose body is `body`, for a contact named NAME. */
async function body(source: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/templates/x/preview',
    headers: t.auth,
    payload: {
      category: 'transactional',
      contact: { attributes: { name: NAME, entity: 'Tom &amp; Jerry' } },
      draft: { format: 'html', subject: 'S', body: `<p>${source}</p>` },
    },
  });
  expect(res.json().problems).toEqual([]);
  return /<p>(.*?)<\/p>/s.exec(res.json().html)?.[1] ?? '';
}

describe('an email template’s explicit escaping', () => {
  test('every output is escaped once without a filter', async () => {
    expect(await body('{{ contact.attributes.name }}')).toBe(ONCE);
  });

  test('`| escape` escapes once, not again on top of the automatic escaping', async () => {
    expect(await body('{{ contact.attributes.name | escape }}')).toBe(ONCE);
  });

  test('`| h`, Shopify’s short name for escape, escapes once', async () => {
    expect(await body('{{ contact.attributes.name | h }}')).toBe(ONCE);
  });

  test('`| escape_once` escapes once and keeps entities already written', async () => {
    expect(await body('{{ contact.attributes.name | escape_once }}')).toBe(ONCE);
    expect(await body('{{ contact.attributes.entity | escape_once }}')).toBe('Tom &amp; Jerry');
  });

  test('`{% echo x | escape %}` escapes once too', async () => {
    expect(await body('{% echo contact.attributes.name | escape %}')).toBe(ONCE);
  });

  test('a filter after `| escape` gets its result escaped again, as any output: nothing it adds is markup', async () => {
    expect(await body(`{{ contact.attributes.name | escape | append: '<i>' }}`)).toBe(
      'Ada &amp;amp; &amp;#34;Co&amp;#34; &amp;lt;b&amp;gt;&amp;#39;s&amp;lt;/b&amp;gt;&lt;i&gt;',
    );
  });

  test('`| raw` still writes the value unescaped', async () => {
    expect(await body('{{ contact.attributes.name | raw }}')).toBe(NAME);
  });
});

describe('an HTML node param’s explicit escaping (email.send html)', () => {
  const scope = {
    contact: { attributes: { name: NAME } },
    trigger: {},
    steps: {},
    run: {},
  } as unknown as Parameters<typeof renderTemplate>[1];
  const html = async (source: string) => withoutLinkMarks(await renderTemplate(source, scope, 'html'));

  test('`| escape`, `| h` and `| escape_once` escape once', async () => {
    expect(await html('{{ contact.attributes.name | escape }}')).toBe(ONCE);
    expect(await html('{{ contact.attributes.name | h }}')).toBe(ONCE);
    expect(await html('{{ contact.attributes.name | escape_once }}')).toBe(ONCE);
  });

  test('plain outputs and `| raw` are as before', async () => {
    expect(await html('{{ contact.attributes.name }}')).toBe(ONCE);
    expect(await html('{{ contact.attributes.name | raw }}')).toBe(NAME);
  });

  test('a text template’s `| escape` escapes once, as written', async () => {
    expect(await renderTemplate('{{ contact.attributes.name | escape }}', scope)).toBe(ONCE);
    expect(await renderTemplate('{{ contact.attributes.name | h }}', scope)).toBe(ONCE);
  });
});
