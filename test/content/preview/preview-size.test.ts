import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { type SmtpSink, startSmtpSink } from '../../channels/smtp-sink.js';
import { e, n, publish, runEnds, startAtTrigger } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
let sink: SmtpSink;
let worker: WorkerHandle;
beforeAll(async () => {
  sink = await startSmtpSink();
  t = await createTestApp({ PUBLIC_URL: 'https://mail.example.com', SMTP_URL: sink.url });
  worker = await startWorker(t.runtime, { retry: { retryBaseMs: 100 }, pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await sink?.close();
});

// Twelve links (production's tokens grow with the link's index), some long, and UTF-8 text.
const LINKS = Array.from(
  { length: 12 },
  (_, i) =>
    `<a href="https://shop.example.com/collections/spring-sale/products/item-${i}?utm_source=newsletter&amp;utm_campaign=spring">Item ${i} — Grüße</a>`,
).join('\n');

const TEMPLATES = {
  html: { format: 'html', body: `<html><body><p>Hi {{ contact.attributes.name }}</p>${LINKS}</body></html>` },
  'html-own-unsubscribe': {
    format: 'html',
    body: `<p>Hi {{ contact.attributes.name }}</p>${LINKS}<a href="{{ unsubscribeUrl }}">Leave</a>`,
  },
  mjml: {
    format: 'mjml',
    body: `<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ contact.attributes.name }}</mj-text>
      <mj-button href="https://shop.example.com/a-rather-long-landing-page-path?with=query&amp;more=1">Shop</mj-button>
      <mj-text>${LINKS}</mj-text></mj-column></mj-section></mj-body></mjml>`,
  },
} as const;

/** The HTML body the SMTP server received for `template` sent by a journey to `contactId`. */
async function sentHtml(template: string, contactId: string, category: string): Promise<string> {
  const before = sink.mails.length;
  const journey = await publish(t.runtime.db, {
    nodes: [
      n('t', 'core.webhook', { secret: 'a-secret-of-16-chars' }),
      n('m', 'email.send', { from: 'News <news@example.com>', category, template }),
    ],
    edges: [e('t', 'm')],
  });
  const runId = await startAtTrigger(t.runtime.db, journey, contactId);
  const { run } = await runEnds(t.runtime.db, runId);
  expect(run.status).toBe('completed');
  const [mail] = (await sink.waitFor(before + 1)).slice(before);
  return String(mail?.html);
}

describe('a preview’s size', () => {
  test.each([
    ['an HTML template', 'html', 'marketing'],
    ['an HTML template linking to unsubscribeUrl itself', 'html-own-unsubscribe', 'marketing'],
    ['an MJML template', 'mjml', 'marketing'],
    ['a transactional HTML template', 'html', 'transactional'],
  ])(
    'of %s (%s) is the byte size of the HTML the send delivers, not of its longer preview links',
    async (_what, id, category) => {
      const template = TEMPLATES[id as keyof typeof TEMPLATES];
      await t.app.inject({
        method: 'PUT',
        url: `/api/templates/${id}`,
        headers: t.auth,
        payload: { name: id, subject: 'News', ...template },
      });
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/contacts',
        headers: t.auth,
        payload: { email: `${id}-${category}@example.com`, attributes: { name: 'Ada & Zoë' } },
      });
      const contactId = created.json().id as string;
      const preview = await t.app.inject({
        method: 'POST',
        url: `/api/templates/${id}/preview`,
        headers: t.auth,
        payload: { contactId, category },
      });
      expect(preview.statusCode).toBe(200);
      const html = await sentHtml(id, contactId, category);
      expect(html).toContain('Hi Ada &amp; Zoë');
      expect(preview.json().size).toBe(Buffer.byteLength(html, 'utf8'));
      // The preview shows its own links, which are longer than the send's.
      expect(Buffer.byteLength(preview.json().html, 'utf8')).toBeGreaterThan(preview.json().size);
    },
  );
});
