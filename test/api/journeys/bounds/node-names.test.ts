import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../../engine/worker/start-worker.js';
import { e, eventually, n } from '../../../engine/support.js';
import { createTestApp, type TestApp } from '../../../support/runtime.js';

// Node ids and output keys are the journey author's names. The names a filter may not use
// (`__proto__`, `constructor`, `prototype`: NODES.md's filter paths) are refused as node ids
// at publish; as a split's variant keys they are outputs like any other.
let t: TestApp;
let worker: WorkerHandle;
const SECRET = 'a-webhook-secret-of-some-length';

beforeAll(async () => {
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

async function publishGraph(graph: object) {
  const made = await t.app.inject({
    method: 'POST',
    url: '/api/journeys',
    headers: t.auth,
    payload: { name: 'Names', graph },
  });
  const journeyId: string = made.json().id;
  const published = await t.app.inject({
    method: 'POST',
    url: `/api/journeys/${journeyId}/publish`,
    headers: t.auth,
    payload: {},
  });
  return { journeyId, published };
}

describe('node ids named like JavaScript built-ins', () => {
  test.each(['__proto__', 'constructor', 'prototype'])(
    'a node named %s is refused at publish, naming it',
    async (id) => {
      const { published } = await publishGraph({
        nodes: [n('hook', 'core.webhook', { secret: SECRET }), n(id, 'core.exit', {})],
        edges: [e('hook', id)],
      });
      expect(published.statusCode).toBe(422);
      expect(published.json().error.code).toBe('invalid_graph');
      expect(published.json().error.details).toContainEqual({
        nodeId: id,
        message: `node id "${id}" is reserved; name the node otherwise`,
      });
    },
  );
});

describe('split variants named like JavaScript built-ins', () => {
  test('are counted in the journey’s stats as any other output', async () => {
    const { journeyId, published } = await publishGraph({
      nodes: [
        n('hook', 'core.webhook', { secret: SECRET }),
        n('split', 'core.split', {
          variants: [
            { key: '__proto__', weight: 50 },
            { key: 'constructor', weight: 50 },
          ],
        }),
        n('done', 'core.exit', {}),
      ],
      edges: [e('hook', 'split'), e('split', 'done', '__proto__'), e('split', 'done', 'constructor')],
    });
    expect(published.statusCode, published.body).toBe(201);
    const runIds: string[] = [];
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com']) {
      const hook = await t.app.inject({
        method: 'POST',
        url: `/hooks/${journeyId}/hook`,
        headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
        payload: JSON.stringify({ email }),
      });
      runIds.push(hook.json().runId);
    }
    await eventually(async () => {
      const stats = (
        await t.app.inject({ method: 'GET', url: `/api/journeys/${journeyId}/stats`, headers: t.auth })
      ).json();
      return stats.nodes.done?.completed === 4;
    });
    const stats = (
      await t.app.inject({ method: 'GET', url: `/api/journeys/${journeyId}/stats`, headers: t.auth })
    ).json();
    const taken = stats.outputs.split as Record<string, number>;
    expect(Object.keys(taken).every((key) => key === '__proto__' || key === 'constructor')).toBe(true);
    expect(Object.values(taken).reduce((sum, n) => sum + n, 0)).toBe(4);
  });
});
