import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UNKNOWN_ID } from '../api/journeys/support.js';
import { type AnswerChecking, createAnswerCheckingApp } from '../api/openapi/support.js';
import { e, hook, n } from './support.js';

// Each call is checked against /api/openapi.json: status listed, body valid, nothing dropped.
let t: AnswerChecking;
beforeAll(async () => {
  t = await createAnswerCheckingApp();
});
afterAll(() => t?.close());

const api = (url: string, payload?: object) =>
  t.call({ method: 'POST', url, headers: t.auth, ...(payload ? { payload } : {}) });

const graph = {
  nodes: [
    hook(),
    n('wait', 'core.wait-for-event', { event: 'email.clicked', timeout: 'P1D' }),
    n('tag', 'crm.tag', { action: 'add', tag: 'clicked' }),
    n('lead', 'crm.create-lead', { title: 'Call {{ contact.email }}', owners: ['a@sales.test'], notify: true }),
    n('mail', 'email.send', { from: 'a@example.com', subject: 'Hi', html: '<p>Hi</p>', category: 'marketing' }),
    n('done', 'core.exit', { goal: 'engaged' }),
  ],
  edges: [e('hook', 'wait'), e('wait', 'tag', 'event'), e('tag', 'lead'), e('lead', 'mail'), e('mail', 'done', 'sent')],
};

describe('the test-run route as documented', () => {
  test('answers a full walk exactly as its schema says', async () => {
    const id = (await api('/api/journeys', { name: 'Documented test run', graph })).json().id;
    const res = await api(`/api/journeys/${id}/test`, {
      contact: { email: 'doc@example.com', tags: ['vip'], consent: { email: 'subscribed' } },
      events: [{ afterNode: 'wait', name: 'email.clicked', properties: { key: 'a' } }],
      trigger: { source: 'docs' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'completed', outcome: 'engaged' });
    expect(res.json().messages).toHaveLength(2);
  });

  test('answers a failed walk, an anonymous one and its errors as documented', async () => {
    const id = (await api('/api/journeys', { name: 'Documented failures', graph })).json().id;
    // Anonymous: the wait times out and the walk ends there.
    expect((await api(`/api/journeys/${id}/test`)).json().contact).toBeNull();
    const failed = await api(`/api/journeys/${id}/test`, {
      contact: { phone: '+358401234567' },
      events: [{ afterNode: 'wait', name: 'email.clicked' }],
    });
    expect(failed.json().status).toBe('failed');
    expect((await api(`/api/journeys/${UNKNOWN_ID}/test`, {})).statusCode).toBe(404);
    expect((await api(`/api/journeys/${id}/test`, { live: 'maybe' })).statusCode).toBe(400);
    const broken = (
      await api('/api/journeys', { name: 'Broken', graph: { nodes: [hook()], edges: [e('hook', 'x')] } })
    ).json().id;
    expect((await api(`/api/journeys/${broken}/test`, {})).statusCode).toBe(422);
  });
});
