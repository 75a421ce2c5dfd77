import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { experimentsApp, publish, splitGraph } from '../experiments/support.js';
import type { TestApp } from '../support/runtime.js';

let t: TestApp;
let journeyId: string;
beforeAll(async () => {
  t = await experimentsApp();
  const graph = splitGraph([
    { key: 'a', weight: 50 },
    { key: 'b', weight: 50 },
  ]);
  journeyId = (await publish(t.runtime.db, graph)).journeyId;
});
afterAll(() => t.close());

const latest = async () =>
  (await t.app.inject({ method: 'GET', url: `/api/audit?object=${journeyId}&limit=1`, headers: t.auth })).json()
    .entries[0];

// Picking a winner sends every live contact down one branch: it is named, not journey.created.
describe('the audit log of a split’s winner', () => {
  test('picking one records journey.winner_picked with the node and variant', async () => {
    const url = `/api/journeys/${journeyId}/nodes/ab/winner`;
    expect((await t.app.inject({ method: 'POST', url, headers: t.auth, payload: { variant: 'b' } })).statusCode).toBe(
      200,
    );
    expect(await latest()).toMatchObject({
      action: 'journey.winner_picked',
      object: { type: 'journey', id: journeyId },
      details: { nodeId: 'ab', variant: 'b' },
    });
  });

  test('clearing it records journey.winner_cleared, not journey.deleted', async () => {
    const url = `/api/journeys/${journeyId}/nodes/ab/winner`;
    expect((await t.app.inject({ method: 'DELETE', url, headers: t.auth })).statusCode).toBe(200);
    expect(await latest()).toMatchObject({ action: 'journey.winner_cleared', details: { nodeId: 'ab' } });
  });
});
