import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRun } from '../../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, eventually, n, publish, runEnds } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
let worker: WorkerHandle;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://w.example.com' });
  worker = await startWorker(t.runtime, { retry: { retryBaseMs: 100 }, pollInterval: 200 });
  await t.app.inject({
    method: 'PUT',
    url: '/api/templates/news',
    headers: t.auth,
    payload: {
      name: 'News',
      format: 'mjml',
      subject: 'News for {{ contact.attributes.name }}',
      body: '<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ contact.attributes.name }}</mj-text><mj-button href="https://shop.example.com/new">New</mj-button></mj-column></mj-section></mj-body></mjml>',
    },
  });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const sendGraph = (params: object) => ({
  nodes: [
    n('t', 'core.webhook', { secret: 'a-secret-of-16-chars' }),
    n('m', 'email.send', { from: 'News <news@example.com>', category: 'marketing', ...params }),
  ],
  edges: [e('t', 'm')],
});

async function runFor(params: object, email: string) {
  const db = t.runtime.db;
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/contacts',
    headers: t.auth,
    payload: { email, attributes: { name: 'Ada <3' } },
  });
  const contactId = created.json().id as string;
  const journey = await publish(db, sendGraph(params));
  const started = await db
    .transaction()
    .execute((trx) => startRun(trx, { ...journey, triggerNodeId: 't', contactId, trigger: {} }));
  const runId = started?.runId as string;
  await runEnds(db, runId, ['completed', 'failed']);
  return runId;
}

describe('email.send naming a template', () => {
  test('sends the template rendered for the contact, with tracked links and a text part', async () => {
    const runId = await runFor({ template: 'news' }, 'ada@example.com');
    const message = await eventually(() =>
      t.runtime.db.selectFrom('messages').selectAll().where('run_id', '=', runId).executeTakeFirst(),
    );
    expect(message.subject).toBe('News for Ada <3');
    expect(message.html).toContain('Hi Ada &lt;3');
    expect(message.html).toContain('https://w.example.com/t/c/');
    expect(message.html).not.toContain('https://shop.example.com/new');
    expect(message.links).toEqual([expect.objectContaining({ url: 'https://shop.example.com/new' })]);
    expect(message.text).toContain('Hi Ada <3');
  });

  test('a given subject replaces the template’s', async () => {
    const runId = await runFor({ template: 'news', subject: 'Special' }, 'grace@example.com');
    const message = await eventually(() =>
      t.runtime.db.selectFrom('messages').select('subject').where('run_id', '=', runId).executeTakeFirst(),
    );
    expect(message.subject).toBe('Special');
  });

  test('publishing a graph naming an unknown template or version answers 422 at /template or /templateVersion', async () => {
    for (const [params, path] of [
      [{ template: 'nope' }, '/template'],
      [{ template: 'news', templateVersion: 9 }, '/templateVersion'],
    ] as const) {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/journeys',
        headers: t.auth,
        payload: { name: 'x', graph: sendGraph(params) },
      });
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/journeys/${created.json().id}/publish`,
        headers: t.auth,
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().error.details).toContainEqual(expect.objectContaining({ nodeId: 'm', path }));
    }
  });

  test.each([
    ['Liquid that does not parse', 'template.parse', 'html', '<p>{% if contact.email %}</p>'],
    ['Liquid that fails while rendering', 'template.render', 'html', "{% render 'nowhere' %}"],
  ])('a stored template with %s fails the step at once as %s', async (_what, code, format, body) => {
    const id = `broken-${code.replace('.', '-')}-${format}`;
    await t.app.inject({
      method: 'PUT',
      url: `/api/templates/${id}`,
      headers: t.auth,
      payload: { name: 'Broken', format, subject: 'S', body },
    });
    const runId = await runFor({ template: id }, `${id}@example.com`);
    const run = (await t.app.inject({ url: `/api/runs/${runId}`, headers: t.auth })).json();
    expect(run.status).toBe('failed');
    expect(run.failure).toMatchObject({
      nodeId: 'm',
      error: { code, attempts: 1, retryable: false, message: expect.stringContaining(`template ${id} v1: body`) },
    });
  });

  test('inline html keeps working and needs no template', async () => {
    const runId = await runFor({ subject: 'Inline', html: '<p>Inline</p>' }, 'inline@example.com');
    const message = await eventually(() =>
      t.runtime.db.selectFrom('messages').select('html').where('run_id', '=', runId).executeTakeFirst(),
    );
    expect(message.html).toContain('<p>Inline</p>');
  });

  test('{{ unsubscribeUrl }} in inline html and text is the message’s own unsubscribe link, untracked, with no second footer', async () => {
    const runId = await runFor(
      {
        subject: 'Inline',
        html: '<p>Hi</p><a href="{{ unsubscribeUrl }}">Leave</a>',
        text: 'Hi. Leave: {{ unsubscribeUrl }}',
      },
      'leave@example.com',
    );
    const message = await eventually(() =>
      t.runtime.db
        .selectFrom('messages')
        .select(['html', 'text', 'links'])
        .where('run_id', '=', runId)
        .executeTakeFirst(),
    );
    const links = message.html?.match(/https:\/\/w\.example\.com\/unsubscribe\/[^"]+/g) ?? [];
    expect(links).toHaveLength(1);
    expect(message.html).toContain(`<a href="${links[0]}">Leave</a>`);
    expect(message.html).not.toContain('waymark.invalid');
    expect(message.text).toBe(`Hi. Leave: ${links[0]}`);
    expect(message.links).toEqual([]);
  });

  // `{{ unsubscribeUrl }}?utm=1` was rewritten through the click redirect and the footer added
  // beside it, as if the template had no unsubscribe link.
  test.each([
    ['a query string', '?utm=1'],
    ['a fragment', '#leave'],
  ])(
    'a template’s link to {{ unsubscribeUrl }} with %s is its unsubscribe link: untracked, no footer, and it opens the unsubscribe page',
    async (_what, suffix) => {
      const id = `leave-${suffix === '?utm=1' ? 'query' : 'fragment'}`;
      await t.app.inject({
        method: 'PUT',
        url: `/api/templates/${id}`,
        headers: t.auth,
        payload: {
          name: 'Leave',
          format: 'html',
          subject: 'Bye',
          body: `<p>Hi</p><a href="https://shop.example.com/">Shop</a><a href="{{ unsubscribeUrl }}${suffix}">Leave</a>`,
        },
      });
      const runId = await runFor({ template: id }, `${id}@example.com`);
      const message = await eventually(() =>
        t.runtime.db.selectFrom('messages').select(['html', 'links']).where('run_id', '=', runId).executeTakeFirst(),
      );
      const links = message.html?.match(/https:\/\/w\.example\.com\/unsubscribe\/[^"]+/g) ?? [];
      expect(links).toHaveLength(1);
      expect(links[0]?.endsWith(suffix)).toBe(true);
      expect(message.html).toContain(`<a href="${links[0]}">Leave</a>`);
      expect(message.html).not.toContain('Unsubscribe</a>');
      expect(message.links).toEqual([expect.objectContaining({ url: 'https://shop.example.com/' })]);
      const page = await t.app.inject({ url: String(links[0]).replace('https://w.example.com', '').split('#')[0] });
      expect(page.statusCode).toBe(200);
    },
  );

  test('{{ unsubscribeUrl }} is empty in transactional mail', async () => {
    const runId = await runFor(
      { subject: 'Receipt', html: '<p>[{{ unsubscribeUrl }}]</p>', category: 'transactional' },
      'receipt@example.com',
    );
    const message = await eventually(() =>
      t.runtime.db.selectFrom('messages').select('html').where('run_id', '=', runId).executeTakeFirst(),
    );
    expect(message.html).toContain('<p>[]</p>');
  });
});
