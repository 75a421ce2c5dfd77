import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { e, eventually, n } from '../engine/support.js';
import { type EditorSession, hasChromium, openEditor } from '../support/browser.js';
import { TEST_TOKEN } from '../support/runtime.js';

describe.skipIf(!hasChromium)('content in the browser', () => {
  let session: EditorSession;
  let page: Page;
  let worker: WorkerHandle;
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };
  const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    session.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    session = await openEditor();
    page = session.page;
    worker = await startWorker(session.base.runtime, { pollInterval: 200 });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await session?.close();
  });

  test('the template editor previews the MJML as it is typed, at desktop and mobile width, with its problems', async () => {
    await page.goto(`${session.url}/templates/welcome?token=${TEST_TOKEN}`);
    const code = page.getByRole('textbox', { name: 'Template body' });
    await code.click();
    await page.keyboard.press('Control+a');
    await page.keyboard.type(
      '<mjml><mj-body><mj-section><mj-column><mj-text>Hello {{ contact.email }}</mj-text>' +
        '<mj-image src="https://cdn.example.com/logo.png"></mj-image></mj-column></mj-section></mj-body></mjml>',
    );
    const frame = page.locator('iframe[title="Email preview"]');
    await expect.poll(() => frame.getAttribute('srcdoc'), { timeout: 10_000 }).toContain('Hello ada@example.com');
    expect(await frame.getAttribute('sandbox')).toBe('');
    expect(
      await page.frameLocator('iframe[title="Email preview"]').getByText('Hello ada@example.com').isVisible(),
    ).toBe(true);
    await expect.poll(() => page.locator('[data-code="image-without-alt"]').count()).toBe(1);
    expect(await frame.evaluate((el) => (el as HTMLElement).clientWidth)).toBe(600);
    await page.getByLabel('Mobile 375 px').check();
    expect(await frame.evaluate((el) => (el as HTMLElement).clientWidth)).toBe(375);

    await page.getByLabel('Template name').fill('Welcome');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await api('GET', '/api/templates/welcome')).json().version).toBe(1);
    await expect.poll(() => page.getByRole('button', { name: 'Version 1' }).count()).toBe(1);
  });

  test('a hosted form goes through double opt-in to the journey’s first email', async () => {
    await api('PUT', '/api/forms/join', {
      name: 'Join',
      fields: [
        { name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' },
        { name: 'firstName', label: 'First name', type: 'text', mapTo: 'attributes.firstName' },
      ],
      consentText: 'Yes, send me news',
      doubleOptIn: true,
      confirmationFrom: 'news@example.com',
    });
    const journey = await api('POST', '/api/journeys', {
      name: 'After signup',
      graph: {
        nodes: [
          n('on', 'core.event', { event: 'form.submitted', filter: { attr: 'formId', op: 'eq', value: 'join' } }),
          n('hi', 'email.send', {
            from: 'news@example.com',
            subject: 'Welcome {{ contact.attributes.firstName }}',
            html: '<p>Hi</p>',
            category: 'marketing',
          }),
        ],
        edges: [e('on', 'hi')],
      },
    });
    await api('POST', `/api/journeys/${journey.json().id}/publish`);

    await page.goto(`${session.url}/f/join`);
    await page.getByLabel('Email').fill('mia@example.com');
    await page.getByLabel('First name').fill('Mia');
    await page.getByLabel('Yes, send me news').check();
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await expect.poll(() => page.textContent('h1')).toBe('Check your inbox');

    const db = session.base.runtime.db;
    const confirmation = await eventually(() =>
      db.selectFrom('messages').select(['html', 'contact_id']).where('to', '=', 'mia@example.com').executeTakeFirst(),
    );
    const link = /href="https?:\/\/[^/"]+(\/f\/confirm\/[^"]+)"/.exec(confirmation.html ?? '')?.[1];
    await page.goto(`${session.url}${link}`);
    expect(await page.textContent('h1')).toBe('Subscription confirmed');

    // The row is stored as queued before delivery marks it sent: wait for the delivery.
    const welcome = await eventually(async () => {
      const row = await db
        .selectFrom('messages')
        .select(['subject', 'status'])
        .where('to', '=', 'mia@example.com')
        .where('subject', '=', 'Welcome Mia')
        .executeTakeFirst();
      return row?.status === 'queued' ? undefined : row;
    });
    expect(welcome.status).toBe('sent');
  });
});
