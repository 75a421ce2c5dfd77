import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLeadsService } from '../../../engine/leads/service.js';
import { createMessagesService } from '../../../engine/messages/service.js';
import { stepScope } from '../../channels/scope.js';
import { e, eventually, n, publish } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// GET /api/contacts/:id/export answered messages, runs (with their steps) and leads as raw
// database rows (snake_case columns, workspace and credential ids, step internals), which the
// person asking for their data cannot read. API.md: the export holds the contact, its events,
// tags, lists, messages, runs and leads; server/README.md "The GDPR export" says in which shapes.
let t: TestApp;
let contactId: string;
let runId: string;
const SECRET = 'an-export-webhook-secret';

type Json = Record<string, unknown>;
const get = async (url: string) => (await t.app.inject({ url, headers: t.auth })).json();
const exported = () => get(`/api/contacts/${contactId}/export`);

beforeAll(async () => {
  t = await createTestApp();
  const call = (method: 'POST' | 'PUT', url: string, payload: object) =>
    t.app.inject({ method, url, headers: t.auth, payload });
  contactId = (
    await call('POST', '/api/contacts', { email: 'ex@example.com', externalId: 'ex-1', attributes: { plan: 'pro' } })
  ).json().id;
  await call('POST', `/api/contacts/${contactId}/tags`, { tag: 'vip' });
  await call('POST', `/api/contacts/${contactId}/lists`, { list: 'news' });
  await call('PUT', `/api/contacts/${contactId}/consent`, { channel: 'email', status: 'subscribed', source: 'crm' });
  await call('POST', '/api/events', { contactId, name: 'email.replied', properties: { text: 'Thanks!' } });
  const journey = await publish(t.runtime.db, {
    nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('done', 'core.exit')],
    edges: [e('hook', 'done')],
  });
  const hook = await t.app.inject({
    method: 'POST',
    url: `/hooks/${journey.journeyId}/hook`,
    headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
    payload: JSON.stringify({ email: 'ex@example.com', note: 'call me after 5' }),
  });
  runId = hook.json().runId;
  const scope = await stepScope(t.runtime, { contactId, runId, nodeId: 'mail' });
  await createMessagesService(scope).send({
    channel: 'email',
    category: 'marketing',
    subject: 'Welcome',
    html: '<p>Hi</p>',
    text: 'Hi',
  });
  await createLeadsService(await stepScope(t.runtime, { contactId, runId, nodeId: 'lead' })).create({
    title: 'Call back',
    owners: ['sales@example.com'],
    assign: 'first',
  });
  await eventually(async () => (await get(`/api/runs/${runId}`)).steps?.length > 0);
});
afterAll(() => t.close());

describe('GET /api/contacts/:id/export answers in the API’s own shapes', () => {
  test('the contact as GET /api/contacts/:id shows it, tags and lists as it holds them', async () => {
    const body = await exported();
    const contact = await get(`/api/contacts/${contactId}`);
    expect(body.contact).toEqual(contact);
    expect(body.tags).toEqual(contact.tags);
    expect(body.lists).toEqual(contact.lists);
  });

  test('events as GET /api/events shows them, oldest first: consent changes and replies among them', async () => {
    const body = await exported();
    const { events } = await get(`/api/events?contactId=${contactId}`);
    expect(body.events).toEqual([...events].reverse());
    expect(body.events.map((event: Json) => event.name)).toEqual(
      expect.arrayContaining(['consent.changed', 'email.replied']),
    );
  });

  test('messages as GET /api/messages/:id shows them, with what was sent', async () => {
    const body = await exported();
    expect(body.messages).toHaveLength(1);
    const { allHeaders: _derived, ...message } = await get(`/api/messages/${body.messages[0].id}`);
    expect(body.messages[0]).toEqual(message);
    expect(body.messages[0]).toMatchObject({
      subject: 'Welcome',
      html: expect.stringContaining('<p>Hi</p>'),
      text: expect.stringMatching(/^Hi/),
      contactId,
    });
  });

  test('runs as GET /api/runs/:id shows them, with their trigger and steps', async () => {
    const body = await exported();
    const { contactEmail: _email, ...run } = await get(`/api/runs/${runId}`);
    expect(body.runs).toEqual([run]);
    expect(body.runs[0].trigger).toEqual({ email: 'ex@example.com', note: 'call me after 5' });
  });

  test('leads as GET /api/leads shows them', async () => {
    const body = await exported();
    const { leads } = await get(`/api/leads?contactId=${contactId}`);
    expect(body.leads).toEqual(leads);
    expect(body.leads[0]).toMatchObject({ title: 'Call back', owner: 'sales@example.com' });
  });

  test('no key is a database column', async () => {
    const body = await exported();
    const { contact: _c, events: _e, runs, messages, leads, consents } = body;
    // The contact's and the events' own data (attributes, properties, a trigger payload) are the
    // sender's words; every key Waymark writes is camelCase.
    const keys = (value: unknown, skip: Set<string>): string[] =>
      Array.isArray(value)
        ? value.flatMap((v) => keys(v, skip))
        : value && typeof value === 'object'
          ? Object.entries(value).flatMap(([k, v]) => (skip.has(k) ? [k] : [k, ...keys(v, skip)]))
          : [];
    const written = keys({ runs, messages, leads, consents }, new Set(['trigger', 'output', 'headers']));
    expect(written.filter((key) => key.includes('_'))).toEqual([]);
    expect(written).not.toContain('workspaceId');
  });
});

describe('the export holds every kind of personal data kept', () => {
  test('bounce records of the contact’s addresses, cleared ones included', async () => {
    await t.runtime.pool.query(
      `insert into email_suppressions (address, contact_id, reason, status, created_at, cleared_at, workspace_id)
       select 'ex@example.com', id, 'bounced', '5.1.1', '2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z', workspace_id
       from contacts where id = $1`,
      [contactId],
    );
    expect((await exported()).suppressions).toEqual([
      {
        address: 'ex@example.com',
        reason: 'bounced',
        status: '5.1.1',
        createdAt: '2026-01-02T00:00:00.000Z',
        clearedAt: '2026-01-03T00:00:00.000Z',
      },
    ]);
  });

  test('form submissions kept for a double opt-in, confirmed or not, with their values', async () => {
    const { rows } = await t.runtime.pool.query(
      `insert into consent_proofs (contact_id, channel, status, proof) values ($1, 'email', 'pending', '{}') returning id`,
      [contactId],
    );
    await t.runtime.pool.query(
      `insert into form_confirmations (form_id, form_version, contact_id, email, payload, proof_id, created_at, mailed_at)
       values ('newsletter', 2, $1, 'ex@example.com', $2, $3, '2026-02-01T00:00:00Z', '2026-02-01T00:00:00Z')`,
      [contactId, JSON.stringify({ submission: { email: 'ex@example.com', name: 'Ex' }, proof: {} }), rows[0].id],
    );
    expect((await exported()).formSubmissions).toEqual([
      {
        formId: 'newsletter',
        formVersion: 2,
        email: 'ex@example.com',
        values: { email: 'ex@example.com', name: 'Ex' },
        submittedAt: '2026-02-01T00:00:00.000Z',
        confirmedAt: null,
      },
    ]);
  });
});
