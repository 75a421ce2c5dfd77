import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type Browser, defaultWorkspace, makeUser, scopedToken, signIn } from '../support.js';

// Knowing a journey's webhook secret is the power to start its runs (and so to send its mail):
// whoever may only read journeys sees the journey, its secret `[redacted]`.
const SECRET = 'the-webhook-secret-0123456789';
let t: TestApp;
let viewer: Browser;
let editor: Browser;
let journeyId: string;

const graph = (secret: string) => ({
  nodes: [n('hook', 'core.webhook', { secret }), n('tag', 'crm.tag', { action: 'add', tag: 'hooked' })],
  edges: [e('hook', 'tag')],
});

beforeAll(async () => {
  t = await createTestApp();
  const ws = await defaultWorkspace(t.runtime.db);
  await makeUser(t.runtime.db, 'viewer@example.com', ws, 'viewer');
  await makeUser(t.runtime.db, 'editor@example.com', ws, 'editor');
  viewer = await signIn(t.app, 'viewer@example.com');
  editor = await signIn(t.app, 'editor@example.com');
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/journeys',
    headers: t.auth,
    payload: { name: 'Signups', graph: graph(SECRET) },
  });
  journeyId = created.json().id;
  expect(
    (await t.app.inject({ method: 'POST', url: `/api/journeys/${journeyId}/publish`, headers: t.auth })).statusCode,
  ).toBe(201);
  await t.app.inject({
    method: 'PUT',
    url: `/api/journeys/${journeyId}/draft`,
    headers: t.auth,
    payload: { graph: graph(`${SECRET}-new`) },
  });
});
afterAll(() => t?.close());

const get = (url: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url, headers });
const secretOf = (g: { nodes: { id: string; params: { secret?: string } }[] }) =>
  g.nodes.find((node) => node.id === 'hook')?.params.secret;

describe('a journey read by a viewer', () => {
  test('shows its draft with the webhook secret redacted, and the rest as stored', async () => {
    const res = await get(`/api/journeys/${journeyId}`, viewer.headers);
    expect(res.statusCode).toBe(200);
    expect(secretOf(res.json().draft.graph)).toBe('[redacted]');
    expect(res.json().draft.graph.nodes.find((node: { id: string }) => node.id === 'tag').params).toEqual({
      action: 'add',
      tag: 'hooked',
    });
  });

  test('shows a published version with the secret redacted', async () => {
    const res = await get(`/api/journeys/${journeyId}/versions/1`, viewer.headers);
    expect(secretOf(res.json().graph)).toBe('[redacted]');
  });

  test('diffs versions without telling the secret, old or new', async () => {
    const res = await get(`/api/journeys/${journeyId}/diff?from=1&to=draft`, viewer.headers);
    expect(res.statusCode).toBe(200);
    expect(JSON.stringify(res.json())).not.toContain(SECRET);
  });

  test('a token that may only read journeys sees it redacted too', async () => {
    const res = await get(`/api/journeys/${journeyId}`, await scopedToken(t, ['journeys:read']));
    expect(secretOf(res.json().draft.graph)).toBe('[redacted]');
  });
});

describe('a journey read by someone who may change it', () => {
  test('shows the secret as stored, so the caller can be set up', async () => {
    const res = await get(`/api/journeys/${journeyId}`, editor.headers);
    expect(secretOf(res.json().draft.graph)).toBe(`${SECRET}-new`);
    const version = await get(`/api/journeys/${journeyId}/versions/1`, editor.headers);
    expect(secretOf(version.json().graph)).toBe(SECRET);
  });
});

describe('a journey paused or resumed by a token that may publish but not change it', () => {
  test('answers the journey with the webhook secret redacted', async () => {
    const publisher = await scopedToken(t, ['journeys:read', 'journeys:publish']);
    for (const action of ['pause', 'resume']) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/journeys/${journeyId}/${action}`,
        headers: publisher,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().status).toBe(action === 'pause' ? 'paused' : 'live');
      expect(secretOf(res.json().draft.graph)).toBe('[redacted]');
      expect(res.body).not.toContain(SECRET);
    }
  });

  test('an editor pausing it still sees the secret as stored', async () => {
    for (const action of ['pause', 'resume']) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/journeys/${journeyId}/${action}`,
        headers: editor.headers,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(secretOf(res.json().draft.graph)).toBe(`${SECRET}-new`);
    }
  });
});
