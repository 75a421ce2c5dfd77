import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadContact } from '../../../engine/contacts/load.js';
import { createMessagesService } from '../../../engine/messages/service.js';
import { defaultWorkspaceId } from '../../../server/teams/accounts/users.js';
import { eventsOf as eventsIn, insertContact, stepScope } from '../../channels/scope.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://w.example.com' });
});
afterAll(() => t.close());

const eventsOf = (contactId: string, name: string) => eventsIn(t.runtime, contactId, name);

const HTML =
  '<p><a data-waymark-key="a" href="https://shop.example.com/a?x=1&amp;y=2">A</a>' +
  '<a data-waymark-key="b" href="https://shop.example.com/b">B</a></p>';

/** Sends a marketing email to a new contact; returns its ids and the paths of its tracked URLs. */
async function sendOne() {
  const contactId = await insertContact(t.runtime, { email: `${randomUUID()}@example.com` });
  const scope = await stepScope(t.runtime, { contactId, nodeId: 'mail1' });
  const { messageId } = await createMessagesService(scope).send({
    channel: 'email',
    category: 'marketing',
    subject: 'Hi',
    html: HTML,
    links: [{ key: 'a', addTags: ['clicked-a'], addLists: ['interested'] }],
  });
  const row = await t.runtime.db
    .selectFrom('messages')
    .select(['html', 'headers'])
    .where('id', '=', messageId)
    .executeTakeFirstOrThrow();
  const paths = (pattern: RegExp) => [...(row.html ?? '').matchAll(pattern)].map((m) => String(m[1]));
  return {
    contactId,
    messageId,
    clicks: paths(/href="https:\/\/w\.example\.com(\/t\/c\/[^"]+)"/g),
    pixel: paths(/src="https:\/\/w\.example\.com(\/t\/o\/[^"]+)"/g)[0] as string,
    unsubscribe: String(row.headers['List-Unsubscribe']).replace(/^<https:\/\/w\.example\.com|>$/g, ''),
  };
}

describe('click tracking', () => {
  test('redirects to the link as the HTML meant it and records email.clicked', async () => {
    const sent = await sendOne();
    const res = await t.app.inject({ method: 'GET', url: sent.clicks[0] as string });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('https://shop.example.com/a?x=1&y=2');
    const events = await eventsOf(sent.contactId, 'email.clicked');
    expect(events.map((e) => e.properties)).toEqual([
      { key: 'a', url: 'https://shop.example.com/a?x=1&y=2', messageId: sent.messageId, nodeId: 'mail1' },
    ]);
  });

  test('applies the link’s tags and lists and counts the click', async () => {
    const sent = await sendOne();
    await t.app.inject({ method: 'GET', url: sent.clicks[0] as string });
    const contact = await loadContact(t.runtime.db, await defaultWorkspaceId(t.runtime.db), sent.contactId);
    expect(contact?.tags.map((x) => x.tag)).toEqual(['clicked-a']);
    expect(contact?.lists.map((x) => x.list)).toEqual(['interested']);
    const row = await t.runtime.db
      .selectFrom('messages')
      .select('clicks')
      .where('id', '=', sent.messageId)
      .executeTakeFirst();
    expect(row?.clicks).toBe(1);
  });

  test('a link without tags only records its key', async () => {
    const sent = await sendOne();
    const res = await t.app.inject({ method: 'GET', url: sent.clicks[1] as string });
    expect(res.headers.location).toBe('https://shop.example.com/b');
    expect((await eventsOf(sent.contactId, 'email.clicked'))[0]?.properties).toMatchObject({ key: 'b' });
    expect((await loadContact(t.runtime.db, await defaultWorkspaceId(t.runtime.db), sent.contactId))?.tags).toEqual([]);
  });

  test('a HEAD, as mail scanners send to check links, answers as the GET would and records no click', async () => {
    const sent = await sendOne();
    const res = await t.app.inject({ method: 'HEAD', url: sent.clicks[0] as string });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('https://shop.example.com/a?x=1&y=2');
    expect(await eventsOf(sent.contactId, 'email.clicked')).toEqual([]);
    const contact = await loadContact(t.runtime.db, await defaultWorkspaceId(t.runtime.db), sent.contactId);
    expect(contact?.tags).toEqual([]);
    const row = await t.runtime.db
      .selectFrom('messages')
      .select('clicks')
      .where('id', '=', sent.messageId)
      .executeTakeFirst();
    expect(row?.clicks).toBe(0);
  });

  test('an altered token answers 404 and redirects nowhere', async () => {
    const sent = await sendOne();
    const path = sent.clicks[0] as string;
    const altered = `${path.slice(0, -1)}${path.endsWith('A') ? 'B' : 'A'}`;
    for (const url of [altered, path.replace(/\.0\./, '.1.'), '/t/c/garbage']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(404);
      expect(res.headers.location).toBeUndefined();
    }
    for (const url of [`/t/c/${'x'.repeat(300)}`, '/t/c/%00%ff', '/t/o/%zz']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBeLessThan(500);
      expect(res.headers.location).toBeUndefined();
    }
  });

  test('a token longer than 100 characters, or one that does not decode, answers the JSON 404', async () => {
    const sent = await sendOne();
    const tokens = [`${sent.clicks[0]?.slice(5)}${'x'.repeat(120)}`, 'x'.repeat(101), 'y'.repeat(5000), '%zz'];
    const urls = tokens.flatMap((token) => [`/t/c/${token}`, `/t/o/${token}`, `/unsubscribe/${token}`]);
    for (const url of urls) {
      for (const method of ['GET', 'POST'] as const) {
        if (method === 'POST' && !url.startsWith('/unsubscribe/')) continue;
        const res = await t.app.inject({ method, url });
        expect(res.statusCode, `${method} ${url.slice(0, 40)}`).toBe(404);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.json().error.code).toBe('not_found');
        expect(res.headers.location).toBeUndefined();
      }
    }
    expect(
      (await loadContact(t.runtime.db, await defaultWorkspaceId(t.runtime.db), sent.contactId))?.consent.email.status,
    ).toBe('unknown');
  });
});

describe('the OpenAPI document', () => {
  test('lists the tracking and unsubscribe routes', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    for (const path of ['/t/c/{token}', '/t/o/{token}', '/unsubscribe/{token}']) expect(doc.paths[path]).toBeDefined();
  });
});

describe('open tracking', () => {
  test('answers a GIF and records email.opened', async () => {
    const sent = await sendOne();
    const res = await t.app.inject({ method: 'GET', url: sent.pixel });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/gif');
    expect((await eventsOf(sent.contactId, 'email.opened')).map((e) => e.properties)).toEqual([
      { messageId: sent.messageId, nodeId: 'mail1' },
    ]);
    const row = await t.runtime.db
      .selectFrom('messages')
      .select('opens')
      .where('id', '=', sent.messageId)
      .executeTakeFirst();
    expect(row?.opens).toBe(1);
  });

  test('a HEAD of the pixel answers as the GET would and records no open', async () => {
    const sent = await sendOne();
    const res = await t.app.inject({ method: 'HEAD', url: sent.pixel });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/gif');
    expect(await eventsOf(sent.contactId, 'email.opened')).toEqual([]);
    expect((await t.app.inject({ method: 'HEAD', url: '/t/o/nothing' })).statusCode).toBe(404);
  });

  test('an unknown pixel answers 404', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/t/o/nothing' })).statusCode).toBe(404);
  });
});

describe('unsubscribe', () => {
  test('GET shows a confirmation page with a button and unsubscribes nobody', async () => {
    const sent = await sendOne();
    const res = await t.app.inject({ method: 'GET', url: sent.unsubscribe });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toMatch(/<form method="post">/);
    expect(
      (await loadContact(t.runtime.db, await defaultWorkspaceId(t.runtime.db), sent.contactId))?.consent.email.status,
    ).toBe('unknown');
  });

  test('a one-click POST unsubscribes from marketing email and records email.unsubscribed', async () => {
    const sent = await sendOne();
    const res = await t.app.inject({
      method: 'POST',
      url: sent.unsubscribe,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(res.statusCode).toBe(200);
    expect(
      (await loadContact(t.runtime.db, await defaultWorkspaceId(t.runtime.db), sent.contactId))?.consent.email.status,
    ).toBe('unsubscribed');
    expect(await eventsOf(sent.contactId, 'email.unsubscribed')).toHaveLength(1);
    const next = await createMessagesService(await stepScope(t.runtime, { contactId: sent.contactId })).send({
      channel: 'email',
      category: 'marketing',
      subject: 'Again',
      html: '<p>x</p>',
    });
    expect(next).toMatchObject({ status: 'suppressed', reason: 'unsubscribed' });
  });

  test('a POST without a body works too', async () => {
    const sent = await sendOne();
    expect((await t.app.inject({ method: 'POST', url: sent.unsubscribe })).statusCode).toBe(200);
  });

  test('the same link posted again, at once or later, answers 200 and records email.unsubscribed once', async () => {
    const sent = await sendOne();
    const post = () => t.app.inject({ method: 'POST', url: sent.unsubscribe });
    const answers = await Promise.all([post(), post(), post()]);
    answers.push(await post());
    expect(
      answers.map((a) => a.statusCode),
      answers.map((a) => a.body).join('\n'),
    ).toEqual([200, 200, 200, 200]);
    expect(await eventsOf(sent.contactId, 'email.unsubscribed')).toHaveLength(1);
  });

  test('an altered token answers 404', async () => {
    const sent = await sendOne();
    const res = await t.app.inject({ method: 'POST', url: `${sent.unsubscribe}x` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });
});
