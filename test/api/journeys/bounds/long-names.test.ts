import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n } from '../../../engine/support.js';
import { createTestApp, type TestApp } from '../../../support/runtime.js';

// A tag's or a list's name is an index key: at most 255 characters wherever it is written
// (the SDK's tagSchema and listSchema), so a node that would write a longer one never publishes.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

async function publish(node: ReturnType<typeof n>) {
  const graph = {
    nodes: [n('hook', 'core.webhook', { secret: 'a-secret-of-16-chars' }), node],
    edges: [e('hook', node.id)],
  };
  const made = await t.app.inject({
    method: 'POST',
    url: '/api/journeys',
    headers: t.auth,
    payload: { name: 'Long', graph },
  });
  return t.app.inject({ method: 'POST', url: `/api/journeys/${made.json().id}/publish`, headers: t.auth, payload: {} });
}

describe('tag and list names over 255 characters in node params', () => {
  test('a crm.tag node with one is refused at publish, naming its param', async () => {
    const res = await publish(n('tag', 'crm.tag', { action: 'add', tag: 'x'.repeat(256) }));
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toContainEqual(expect.objectContaining({ nodeId: 'tag', path: '/tag' }));
  });

  test('a crm.list node with one is refused at publish, naming its param', async () => {
    const res = await publish(n('list', 'crm.list', { action: 'add', list: 'x'.repeat(256) }));
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toContainEqual(expect.objectContaining({ nodeId: 'list', path: '/list' }));
  });

  test('a name of 255 characters publishes', async () => {
    const res = await publish(n('tag', 'crm.tag', { action: 'add', tag: 'x'.repeat(255) }));
    expect(res.statusCode, res.body).toBe(201);
  });
});
