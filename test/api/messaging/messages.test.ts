import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { saveContactRules } from '../../../engine/messages/rules/contact-rules.js';
import { createMessagesService } from '../../../engine/messages/service.js';
import { defaultWorkspaceId } from '../../../server/teams/accounts/users.js';
import { insertContact, stepScope } from '../../channels/scope.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
let contactId: string;
const runId = randomUUID();

beforeAll(async () => {
  t = await createTestApp();
  contactId = await insertContact(t.runtime, { email: 'log@example.com' });
  for (let i = 0; i < 5; i++) {
    const scope = await stepScope(t.runtime, {
      contactId,
      runId,
      nodeId: `n${i}`,
      now: () => new Date(Date.UTC(2026, 0, 1, 0, i)),
    });
    await createMessagesService(scope).send({
      channel: 'email',
      category: 'marketing',
      subject: `Mail ${i}`,
      html: '<p>Hi</p>',
      text: 'Hi',
    });
  }
  await saveContactRules(t.runtime.db, await defaultWorkspaceId(t.runtime.db), {
    marketing: { maxMessages: 0, period: 'P1D' },
  });
  await createMessagesService(await stepScope(t.runtime, { contactId })).send({
    channel: 'email',
    category: 'marketing',
    subject: 'Capped',
    html: '<p>x</p>',
  });
});
afterAll(() => t.close());

describe('GET /api/messages', () => {
  test('lists a contact’s messages newest first, with suppression reasons', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/messages?contactId=${contactId}`, headers: t.auth });
    expect(res.statusCode).toBe(200);
    const { messages } = res.json();
    expect(messages).toHaveLength(6);
    expect(messages.find((m: { subject: string }) => m.subject === 'Capped')).toMatchObject({
      status: 'suppressed',
      reason: 'frequency-cap',
      channel: 'email',
      category: 'marketing',
      to: 'log@example.com',
      opens: 0,
      clicks: 0,
    });
  });

  test('filters by run and status', async () => {
    const byRun = await t.app.inject({
      method: 'GET',
      url: `/api/messages?runId=${runId}&status=sent`,
      headers: t.auth,
    });
    expect(byRun.json().messages.map((m: { subject: string }) => m.subject)).toEqual([
      'Mail 4',
      'Mail 3',
      'Mail 2',
      'Mail 1',
      'Mail 0',
    ]);
  });

  test('pages with a cursor, visiting every message once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/messages?runId=${runId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await t.app.inject({ method: 'GET', url, headers: t.auth })).json();
      seen.push(...page.messages.map((m: { id: string }) => m.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  test('refuses a bad cursor and a bad status', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/messages?cursor=zzz', headers: t.auth })).statusCode).toBe(
      400,
    );
    expect((await t.app.inject({ method: 'GET', url: '/api/messages?status=lost', headers: t.auth })).statusCode).toBe(
      400,
    );
  });

  test('refuses a contact or run filter that is not a UUID, naming it, instead of listing nothing', async () => {
    for (const field of ['contactId', 'runId']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/messages?${field}=not-uuid`, headers: t.auth });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({
        code: 'validation_failed',
        details: [{ path: `/${field}`, message: `querystring/${field} must match format "uuid"` }],
      });
    }
  });
});

describe('GET /api/messages/:id', () => {
  test('shows the rendered email as the outbox keeps it', async () => {
    const { messages } = (
      await t.app.inject({ method: 'GET', url: `/api/messages?runId=${runId}&limit=1`, headers: t.auth })
    ).json();
    const res = await t.app.inject({ method: 'GET', url: `/api/messages/${messages[0].id}`, headers: t.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json().html).toContain('/t/o/');
    expect(res.json().text).toContain('Unsubscribe');
    expect(res.json().headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
  });

  test('an outbox email lists every header line it would go out with, in order', async () => {
    const scope = await stepScope(t.runtime, {
      contactId: await insertContact(t.runtime, { email: 'headers@example.com' }),
    });
    const { messageId } = await createMessagesService(scope).send({
      channel: 'email',
      category: 'transactional',
      subject: 'Spring sale',
      html: '<p>Hi</p>',
    });
    const message = (await t.app.inject({ method: 'GET', url: `/api/messages/${messageId}`, headers: t.auth })).json();
    const names = message.allHeaders.map((h: { name: string }) => h.name);
    for (const name of ['From', 'To', 'Subject', 'Message-ID', 'Date', 'MIME-Version', 'Content-Type'])
      expect(names, name).toContain(name);
    // Waymark's own headers are among them, as the headers object lists them.
    for (const [name, value] of Object.entries(message.headers))
      expect(message.allHeaders, name).toContainEqual({ name, value });
    const header = (name: string) => message.allHeaders.find((h: { name: string }) => h.name === name)?.value;
    expect(header('To')).toBe('headers@example.com');
    expect(header('Subject')).toBe('Spring sale');
    expect(header('Message-ID')).toMatch(new RegExp(`^<${messageId}@`));
    expect(new Date(header('Date')).getTime()).toBe(Math.floor(Date.parse(message.sentAt) / 1000) * 1000);
    expect(header('Content-Type')).toMatch(/^multipart\/alternative/);
  });

  test('a message never handed over (suppressed) has no header lines', async () => {
    const { messages } = (
      await t.app.inject({
        method: 'GET',
        url: `/api/messages?contactId=${contactId}&status=suppressed`,
        headers: t.auth,
      })
    ).json();
    const res = await t.app.inject({ method: 'GET', url: `/api/messages/${messages[0].id}`, headers: t.auth });
    expect(res.json().status).toBe('suppressed');
    expect(res.json().allHeaders).toBeUndefined();
  });

  test('an email sent with html alone has a text part made from it', async () => {
    const scope = await stepScope(t.runtime, {
      contactId: await insertContact(t.runtime, { email: 'plain@example.com' }),
    });
    const { messageId } = await createMessagesService(scope).send({
      channel: 'email',
      category: 'transactional',
      subject: 'Receipt',
      html: '<p>Paid &amp; done. <a href="https://shop.example.com/r/1">Your receipt</a></p>',
    });
    const res = await t.app.inject({ method: 'GET', url: `/api/messages/${messageId}`, headers: t.auth });
    expect(res.json().text).toBe('Paid & done. Your receipt [https://shop.example.com/r/1]');
  });

  test('mail to another address than the contact’s (a lead’s owner) carries no tracking', async () => {
    const scope = await stepScope(t.runtime, {
      contactId: await insertContact(t.runtime, { email: 'lead@example.com' }),
    });
    const { messageId } = await createMessagesService(scope).send({
      channel: 'email',
      category: 'transactional',
      to: 'owner@sales.example.com',
      subject: 'New lead',
      html: '<p><a href="https://crm.example.com/leads/1">Open the lead</a></p>',
    });
    const res = await t.app.inject({ method: 'GET', url: `/api/messages/${messageId}`, headers: t.auth });
    expect(res.json().html).toBe('<p><a href="https://crm.example.com/leads/1">Open the lead</a></p>');
  });

  test('answers 404 for an unknown id, and 400 naming it for one that is not a UUID', async () => {
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/messages/${randomUUID()}`, headers: t.auth })).statusCode,
    ).toBe(404);
    for (const url of ['/api/messages/nope', '/api/messages/%ff']) {
      const res = await t.app.inject({ method: 'GET', url, headers: t.auth });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.details).toEqual([{ path: '/id', message: 'params/id must match format "uuid"' }]);
    }
  });
});
