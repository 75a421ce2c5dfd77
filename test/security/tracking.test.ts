import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadContact } from '../../engine/contacts/load.js';
import { createMessagesService } from '../../engine/messages/service.js';
import { defaultWorkspaceId } from '../../server/teams/accounts/users.js';
import { eventsOf, insertContact, stepScope } from '../channels/scope.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

// What an outsider holding a tracking, pixel or unsubscribe link (or guessing one) may not do:
// make the server answer 5xx, inject a header through a link's address, or change anything.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://w.example.com' });
});
afterAll(() => t.close());

/** A marketing email with one tracked link per href; the paths of its tracked URLs. */
async function sendWith(hrefs: string[]) {
  const contactId = await insertContact(t.runtime, { email: `${randomUUID()}@example.com` });
  const html = hrefs.map((href, i) => `<a data-waymark-key="k${i}" href="${href}">link ${i}</a>`).join('');
  const { messageId } = await createMessagesService(await stepScope(t.runtime, { contactId, nodeId: 'mail1' })).send({
    channel: 'email',
    category: 'marketing',
    subject: 'Hi',
    html,
  });
  const row = await t.runtime.db
    .selectFrom('messages')
    .select(['html', 'headers', 'clicks'])
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

const clicksOf = async (messageId: string) =>
  (await t.runtime.db.selectFrom('messages').select('clicks').where('id', '=', messageId).executeTakeFirstOrThrow())
    .clicks;

/** Nothing happened to the contact: no events beyond what sending stored, consent untouched. */
async function untouched(contactId: string) {
  for (const name of ['email.clicked', 'email.opened', 'email.unsubscribed'])
    expect(await eventsOf(t.runtime, contactId, name), name).toEqual([]);
  expect(
    (await loadContact(t.runtime.db, await defaultWorkspaceId(t.runtime.db), contactId))?.consent.email.status,
  ).toBe('unknown');
}

describe('a tracked link never answers 5xx and never writes a raw href into a header', () => {
  const cases: [string, string, string][] = [
    [
      'non-ASCII path and query',
      'https://shop.example.com/café?q=ünïcode',
      'https://shop.example.com/caf%C3%A9?q=%C3%BCn%C3%AFcode',
    ],
    ['an internationalised host', 'https://bücher.example/x', 'https://xn--bcher-kva.example/x'],
    ['spaces', 'https://shop.example.com/a b?c=d e#f g', 'https://shop.example.com/a%20b?c=d%20e#f%20g'],
    [
      'CR/LF that would split the header',
      'https://shop.example.com/a\r\nSet-Cookie: evil=1',
      'https://shop.example.com/aSet-Cookie:%20evil=1',
    ],
    ['a tab and an emoji', 'https://shop.example.com/\t😀', 'https://shop.example.com/%F0%9F%98%80'],
  ];
  // Written in the HTML, decoded as an HTML parser decodes an attribute (legacy references
  // without `;` too, unless a letter, digit or `=` follows).
  const written: [string, string][] = [
    ['https://shop.example.com/a&copy;b', 'https://shop.example.com/a%C2%A9b'],
    ['https://shop.example.com/a&eacute;b&euro;', 'https://shop.example.com/a%C3%A9b%E2%82%AC'],
    ['https://shop.example.com/a&amp', 'https://shop.example.com/a&'],
    ['https://shop.example.com/?x=&copy', 'https://shop.example.com/?x=%C2%A9'],
    ['https://shop.example.com/?a=1&copy=2', 'https://shop.example.com/?a=1&copy=2'],
    ['https://shop.example.com/a&#65b&#x42;', 'https://shop.example.com/aAbB'],
    ['https://shop.example.com/a&#0;', 'https://shop.example.com/a%EF%BF%BD'],
    ['https://shop.example.com/a&NewLine;b&Tab;c', 'https://shop.example.com/abc'],
  ];
  test('character references in an href are decoded as the HTML standard says', async () => {
    const sent = await sendWith(written.map(([href]) => href));
    for (const [i, [, location]] of written.entries()) {
      const res = await t.app.inject({ method: 'GET', url: sent.clicks[i] as string });
      expect([res.statusCode, res.headers.location]).toEqual([302, location]);
    }
  });
  for (const [what, href, location] of cases) {
    test(`${what}: 302 to the WHATWG serialisation of the href, and the click is recorded`, async () => {
      const sent = await sendWith([href]);
      const res = await t.app.inject({ method: 'GET', url: sent.clicks[0] as string });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe(new URL(href).href);
      expect(res.headers.location).toBe(location);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(await clicksOf(sent.messageId)).toBe(1);
      const events = await eventsOf(t.runtime, sent.contactId, 'email.clicked');
      expect(events.map((e) => e.properties)).toEqual([
        { key: 'k0', url: href.trim(), messageId: sent.messageId, nodeId: 'mail1' },
      ]);
    });
  }

  test('an href that is not an absolute URL, or leads to script or data, answers 404 and records nothing', async () => {
    const hrefs = [
      '/relative/path',
      'not a url at all',
      'https://',
      'http://exa mple.com/',
      'javascript:alert(1)',
      'data:text/plain,hello',
      'vbscript:x',
    ];
    const sent = await sendWith(hrefs);
    expect(sent.clicks).toHaveLength(hrefs.length);
    for (const path of sent.clicks) {
      const res = await t.app.inject({ method: 'GET', url: path });
      expect(res.statusCode, path).toBe(404);
      expect(res.json().error.code).toBe('not_found');
      expect(res.headers.location).toBeUndefined();
    }
    expect(await clicksOf(sent.messageId)).toBe(0);
    await untouched(sent.contactId);
  });
});

describe('garbage tokens change nothing and answer 4xx', () => {
  const garbage = [
    'garbage',
    '',
    '.',
    '..',
    '%00',
    '%zz',
    '%C0%AF',
    '%E2%80%A8',
    '%0d%0aSet-Cookie:%20x=1',
    'a'.repeat(32),
    `${'0'.repeat(32)}.0.${'A'.repeat(22)}`,
    `${'0'.repeat(32)}.99999999999.${'A'.repeat(22)}`,
    `${'f'.repeat(32)}.${'A'.repeat(22)}`,
    'x'.repeat(2048),
    'x'.repeat(2049),
    'y'.repeat(12_000),
    '..%2F..%2Fapi%2Fcontacts',
    '__proto__',
    'constructor',
  ];

  test('GET /t/c/, /t/o/ and /unsubscribe/, and POST /unsubscribe/', async () => {
    const sent = await sendWith(['https://shop.example.com/']);
    for (const token of garbage) {
      for (const [method, prefix] of [
        ['GET', '/t/c/'],
        ['GET', '/t/o/'],
        ['GET', '/unsubscribe/'],
        ['POST', '/unsubscribe/'],
      ] as const) {
        const res = await t.app.inject({ method, url: `${prefix}${token}` });
        const label = `${method} ${prefix}${token.slice(0, 40)}`;
        expect(res.statusCode, label).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, label).toBeLessThan(500);
        expect(res.headers.location, label).toBeUndefined();
        expect(res.headers['set-cookie'], label).toBeUndefined();
      }
    }
    expect(await clicksOf(sent.messageId)).toBe(0);
    await untouched(sent.contactId);
  });

  test('a token altered to hold a NUL or a lone surrogate is unknown: 404, as any altered token', async () => {
    const sent = await sendWith(['https://shop.example.com/']);
    for (const path of [sent.clicks[0] as string, sent.pixel, sent.unsubscribe]) {
      for (const altered of [`${path}%00`, `${path.slice(0, -3)}%00x`, `${path}%ED%A0%80`]) {
        for (const method of path.startsWith('/unsubscribe/') ? (['GET', 'POST'] as const) : (['GET'] as const)) {
          const res = await t.app.inject({ method, url: altered });
          expect(res.statusCode, `${method} ${altered}`).toBe(404);
          expect(res.json().error.code).toBe('not_found');
        }
      }
    }
    expect(await clicksOf(sent.messageId)).toBe(0);
    await untouched(sent.contactId);
  });

  test('a real token of one kind does not work as another', async () => {
    const sent = await sendWith(['https://shop.example.com/']);
    const click = (sent.clicks[0] as string).slice('/t/c/'.length);
    const pixel = sent.pixel.slice('/t/o/'.length);
    const unsubscribe = sent.unsubscribe.slice('/unsubscribe/'.length);
    for (const [method, url] of [
      ['GET', `/t/c/${pixel}`],
      ['GET', `/t/c/${unsubscribe}`],
      ['GET', `/t/o/${click}`],
      ['GET', `/t/o/${unsubscribe}`],
      ['POST', `/unsubscribe/${pixel}`],
      ['POST', `/unsubscribe/${click}`],
    ] as const) {
      const res = await t.app.inject({ method, url });
      expect(res.statusCode, url).toBe(404);
    }
    expect(await clicksOf(sent.messageId)).toBe(0);
    await untouched(sent.contactId);
  });
});

describe('odd unsubscribe bodies never answer 5xx', () => {
  const bodies: [string, string | Buffer | undefined][] = [
    ['application/json', '{not json'],
    ['application/json', '{"scope":"category"}'],
    ['application/json', '"__proto__"'],
    [
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--x--',
    ],
    ['application/x-www-form-urlencoded', '%zz=%zz&scope=%E0%A4%A'],
    ['application/octet-stream', Buffer.from([0xff, 0xfe, 0x00, 0xc0, 0xaf])],
    ['text/plain; charset=utf-16', 'List-Unsubscribe=One-Click'],
    ['no/such-type', 'x'],
    ['application/x-www-form-urlencoded', undefined],
  ];

  test('a garbage token with any body answers 404 and changes nothing', async () => {
    const sent = await sendWith(['https://shop.example.com/']);
    for (const [type, payload] of bodies) {
      const res = await t.app.inject({
        method: 'POST',
        url: `${sent.unsubscribe}x`,
        headers: { 'content-type': type },
        ...(payload === undefined ? {} : { payload }),
      });
      expect(res.statusCode, type).toBe(404);
    }
    await untouched(sent.contactId);
  });

  test('a real token with any body unsubscribes (a one-click POST may carry anything)', async () => {
    for (const [type, payload] of bodies) {
      const sent = await sendWith(['https://shop.example.com/']);
      const res = await t.app.inject({
        method: 'POST',
        url: sent.unsubscribe,
        headers: { 'content-type': type },
        ...(payload === undefined ? {} : { payload }),
      });
      expect(res.statusCode, type).toBe(200);
      expect(
        (await loadContact(t.runtime.db, await defaultWorkspaceId(t.runtime.db), sent.contactId))?.consent.email.status,
        type,
      ).toBe('unsubscribed');
    }
  });

  test('a body over 64 KiB answers 413 payload_too_large and unsubscribes nobody', async () => {
    const sent = await sendWith(['https://shop.example.com/']);
    const res = await t.app.inject({
      method: 'POST',
      url: sent.unsubscribe,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `List-Unsubscribe=One-Click&pad=${'x'.repeat(70 * 1024)}`,
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
    await untouched(sent.contactId);
  });
});
