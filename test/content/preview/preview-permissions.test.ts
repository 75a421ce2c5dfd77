import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { scopedToken } from '../../teams/support.js';

let t: TestApp;
let contactId: string;
let journeysOnly: Record<string, string>;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://mail.example.com' });
  const contact = await t.app.inject({
    method: 'POST',
    url: '/api/contacts',
    headers: t.auth,
    payload: { email: 'ada@example.com', attributes: { secret: 'ada-s-secret' } },
  });
  contactId = contact.json().id;
  journeysOnly = await scopedToken(t, ['journeys:read', 'journeys:write']);
});
afterAll(() => t.close());

const draft = { format: 'html', subject: 'Hi {{ contact.email }}', body: '<p>{{ contact.attributes.secret }}</p>' };
const call = (route: 'preview' | 'send-test', payload: object) =>
  t.app.inject({
    method: 'POST',
    url: `/api/templates/x/${route}`,
    headers: journeysOnly,
    payload: { draft, ...payload },
  });
const mail = { to: 'me@example.com', from: 'shop@example.com' };

describe('previewing a stored contact needs contacts:read', () => {
  test('a token without contacts:read previewing a stored contact answers 403 naming it', async () => {
    const res = await call('preview', { contactId });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: 'forbidden', details: [{ permission: 'contacts:read' }] });
    expect(res.body).not.toContain('ada');
  });

  test('a token without contacts:read test-sending with a stored contact answers 403 and sends nothing', async () => {
    const res = await call('send-test', { ...mail, contactId });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.details).toEqual([expect.objectContaining({ permission: 'contacts:read' })]);
    const sent = await t.app.inject({ url: '/api/messages', headers: t.auth });
    expect(sent.json().messages).toEqual([]);
  });

  test('the same token previews and test-sends with a typed contact', async () => {
    const typed = { contact: { email: 'typed@example.com', attributes: { secret: 'made up' } } };
    expect((await call('preview', typed)).json()).toMatchObject({ subject: 'Hi typed@example.com' });
    expect((await call('send-test', { ...mail, ...typed })).statusCode).toBe(200);
  });

  test('a token with contacts:read previews a stored contact', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/templates/x/preview',
      headers: t.auth,
      payload: { draft, contactId },
    });
    expect(res.json().html).toContain('ada-s-secret');
  });
});
