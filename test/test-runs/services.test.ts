import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pickVariant } from '../../nodes/core/src/split.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { draft, e, hook, n, path, storeContact, testRun } from './support.js';

let t: TestApp;
let server: Server;
let endpoint: string;
const hits: { method: string; url: string; body: string }[] = [];

beforeAll(async () => {
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      hits.push({ method: req.method ?? '', url: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await t?.close();
  await new Promise((r) => server?.close(r));
});

describe('CRM nodes in a test run', () => {
  test('show their writes and let later steps see them, while the stored contact stays as it was', async () => {
    const contactId = await storeContact(t, { email: 'crm@example.com', attributes: { plan: 'free' } });
    const id = await draft(t, {
      nodes: [
        hook(),
        n('vip', 'crm.tag', { action: 'add', tag: 'vip', ttl: 'P30D' }),
        n('list', 'crm.list', { action: 'add', list: 'newsletter' }),
        n('is-vip', 'core.condition', { filter: { tag: 'vip', op: 'has' } }),
        n('plan', 'crm.update-contact', { attributes: { plan: '{{ trigger.plan }}' } }),
      ],
      edges: [e('hook', 'vip'), e('vip', 'list'), e('list', 'is-vip'), e('is-vip', 'plan', 'yes')],
    });
    const result = await testRun(t, id, { contact: { id: contactId }, trigger: { plan: 'pro' } });
    expect(path(result)).toEqual(['hook', 'vip', 'list', 'is-vip', 'plan']);
    expect(result.steps[1].writes).toEqual([{ op: 'addTag', contactId, tag: 'vip', ttl: 'P30D' }]);
    expect(result.steps[2].writes).toEqual([{ op: 'addToList', contactId, list: 'newsletter' }]);
    expect(result.steps[3]).toMatchObject({ next: 'yes', output: { matched: true } });
    expect(result.steps[4].writes).toEqual([{ op: 'update', contactId, attributes: { plan: 'pro' } }]);
    expect(result.contact).toMatchObject({
      attributes: { plan: 'pro' },
      tags: [{ tag: 'vip', count: 1, active: true }],
      lists: [{ list: 'newsletter' }],
    });
    const stored = await t.app.inject({ url: `/api/contacts/${contactId}`, headers: t.auth });
    expect(stored.json()).toMatchObject({ attributes: { plan: 'free' }, tags: [], lists: [] });
  });

  test('an update names the run’s webhook source, as a live run would', async () => {
    const contactId = await storeContact(t, { email: 'crm-source@example.com' });
    const webhook = hook();
    const id = await draft(t, {
      nodes: [
        { ...webhook, params: { ...webhook.params, source: 'shop' } },
        n('plan', 'crm.update-contact', { attributes: { plan: 'pro' } }),
      ],
      edges: [e('hook', 'plan')],
    });
    const result = await testRun(t, id, { contact: { id: contactId }, trigger: {} });
    expect(result.contact.attributeSources.plan).toMatchObject({ source: 'shop' });
  });

  test('a condition reads the inline contact’s attributes and tags', async () => {
    const id = await draft(t, {
      nodes: [
        hook(),
        n('fi-vip', 'core.condition', {
          filter: {
            all: [
              { attr: 'country', op: 'eq', value: 'FI' },
              { tag: 'vip', op: 'has' },
            ],
          },
        }),
      ],
      edges: [e('hook', 'fi-vip')],
    });
    const yes = await testRun(t, id, {
      contact: { email: 'x@example.com', attributes: { country: 'FI' }, tags: ['vip'] },
    });
    const no = await testRun(t, id, {
      contact: { email: 'x@example.com', attributes: { country: 'SE' }, tags: ['vip'] },
    });
    expect([yes.steps[1].next, no.steps[1].next]).toEqual(['yes', 'no']);
  });

  test('without a contact, the one the trigger payload names is used, read only', async () => {
    const contactId = await storeContact(t, { email: 'payload@example.com', attributes: { country: 'FI' } });
    const id = await draft(t, {
      nodes: [hook(), n('fi', 'core.condition', { filter: { attr: 'country', op: 'eq', value: 'FI' } })],
      edges: [e('hook', 'fi')],
    });
    const known = await testRun(t, id, { trigger: { email: 'PAYLOAD@example.com' } });
    expect(known.contact.id).toBe(contactId);
    expect(known.steps[1].next).toBe('yes');
    const unknown = await testRun(t, id, { trigger: { email: 'new@example.com' } });
    expect(unknown.contact).toMatchObject({ email: 'new@example.com', attributes: {} });
  });
});

describe('a trigger payload’s timezone in a test run', () => {
  test('is the contact’s, as the webhook would store it, for a known and a new contact', async () => {
    await storeContact(t, { email: 'zoned@example.com', timezone: 'UTC' });
    const id = await draft(t, {
      nodes: [hook(), n('nine', 'core.wait', { until: { time: '09:00', timezone: 'contact' } })],
      edges: [e('hook', 'nine')],
    });
    const trigger = { email: 'zoned@example.com', timezone: 'Europe/Helsinki' };
    const known = await testRun(t, id, { trigger, startAt: '2026-01-10T12:00:00.000Z' });
    expect(known.contact.timezone).toBe('Europe/Helsinki');
    // 09:00 in Helsinki in January is 07:00 UTC.
    expect(known.steps[1]).toMatchObject({ nodeId: 'nine', resumedAt: '2026-01-11T07:00:00.000Z' });
    const fresh = await testRun(t, id, { trigger: { ...trigger, email: 'fresh@example.com' } });
    expect(fresh.contact).toMatchObject({ email: 'fresh@example.com', timezone: 'Europe/Helsinki' });
  });

  test('a bad one is 400 at /trigger/timezone, as the webhook answers', async () => {
    const id = await draft(t, { nodes: [hook()], edges: [] });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/journeys/${id}/test`,
      headers: t.auth,
      payload: { trigger: { email: 'zoned@example.com', timezone: 'Mars/Olympus' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([expect.objectContaining({ path: '/trigger/timezone' })]);
  });
});

describe('splits in a test run', () => {
  test('assign a stored contact the variant production would', async () => {
    const variants = [
      { key: 'a', weight: 50 },
      { key: 'b', weight: 50 },
    ];
    const id = await draft(t, { nodes: [hook(), n('ab', 'core.split', { variants })], edges: [e('hook', 'ab')] });
    for (const email of ['s1@example.com', 's2@example.com', 's3@example.com', 's4@example.com']) {
      const contactId = await storeContact(t, { email });
      const result = await testRun(t, id, { contact: { id: contactId } });
      expect(result.steps[1].next).toBe(pickVariant(variants, `${contactId}:ab`));
    }
  });
});

describe('http.request in a test run', () => {
  function httpJourney(): Promise<string> {
    return draft(t, {
      nodes: [
        hook(),
        n('call', 'http.request', { method: 'POST', url: `${endpoint}/crm/{{ contact.email }}`, body: '{"x":1}' }),
        n('done', 'crm.tag', { action: 'add', tag: 'synced' }),
      ],
      edges: [e('hook', 'call'), e('call', 'done', 'ok')],
    });
  }

  test('is skipped unless the run is live, taking ok', async () => {
    hits.length = 0;
    const result = await testRun(t, await httpJourney(), { contact: { email: 'h@example.com' } });
    expect(result.steps[1]).toMatchObject({ nodeId: 'call', next: 'ok', output: { skipped: true } });
    expect(path(result)).toEqual(['hook', 'call', 'done']);
    expect(hits).toEqual([]);
  });

  test('is called for real when the run is live', async () => {
    hits.length = 0;
    const result = await testRun(t, await httpJourney(), { contact: { email: 'h@example.com' }, live: true });
    expect(hits).toEqual([{ method: 'POST', url: '/crm/h@example.com', body: '{"x":1}' }]);
    expect(result.steps[1]).toMatchObject({ next: 'ok', output: { status: 200, body: { accepted: true } } });
  });
});
