import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decideDueExperiments } from '../../engine/experiments/decide.js';
import { startTestPeriods } from '../../engine/experiments/decisions.js';
import { experimentsApp, publish, splitGraph } from '../experiments/support.js';
import type { TestApp } from '../support/runtime.js';
import { entriesOf, whileAuditRefused } from './audit-refusal.js';

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
const TOKEN = { type: 'token', id: expect.any(String), name: 'WAYMARK_API_TOKEN' };

// Picking a winner sends every live contact down one branch: it is named, not journey.created.
describe('the audit log of a split’s winner', () => {
  test('picking one records journey.winner_picked with the node, the variant and who picked it', async () => {
    const url = `/api/journeys/${journeyId}/nodes/ab/winner`;
    expect((await t.app.inject({ method: 'POST', url, headers: t.auth, payload: { variant: 'b' } })).statusCode).toBe(
      200,
    );
    expect(await latest()).toMatchObject({
      actor: TOKEN,
      action: 'journey.winner_picked',
      object: { type: 'journey', id: journeyId },
      details: { nodeId: 'ab', variant: 'b' },
    });
  });

  test('clearing it records journey.winner_cleared, not journey.deleted', async () => {
    const url = `/api/journeys/${journeyId}/nodes/ab/winner`;
    expect((await t.app.inject({ method: 'DELETE', url, headers: t.auth })).statusCode).toBe(200);
    expect(await latest()).toMatchObject({
      actor: TOKEN,
      action: 'journey.winner_cleared',
      details: { nodeId: 'ab' },
    });
  });
});

// A split with a `winner` param decides by itself when its test period ends (the worker's
// heartbeat): no one asked, so Waymark is its actor.
describe('the audit log of an automatic decision', () => {
  const WINNER = { metric: 'click', after: 'PT30S', minPerVariant: 20 };
  // A test period starts when the first contact reaches the split; here it starts at once.
  const deciding = async () => {
    const graph = splitGraph(
      [
        { key: 'a', weight: 50 },
        { key: 'b', weight: 50 },
      ],
      WINNER,
    );
    const id = (await publish(t.runtime.db, graph)).journeyId;
    await startTestPeriods(t.runtime.db, id, ['ab']);
    return id;
  };
  const decision = async (id: string) =>
    (await t.app.inject({ method: 'GET', url: `/api/journeys/${id}/experiments`, headers: t.auth })).json()
      .experiments[0].decision;
  const anHourOn = () => new Date(Date.now() + 3_600_000);

  test('records journey.winner_decided by the system actor, with the outcome it stored', async () => {
    const id = await deciding();
    expect(await decideDueExperiments(t.runtime.db, anHourOn())).toBe(1);
    const entries = await entriesOf(t, id);
    expect(entries[0]).toEqual({
      id: expect.any(String),
      at: expect.any(String),
      actor: { type: 'system', id: null, name: 'Waymark' },
      action: 'journey.winner_decided',
      object: { type: 'journey', id },
      details: {
        nodeId: 'ab',
        kind: 'no-winner',
        variant: null,
        metric: 'click',
        confidence: 0.95,
        pValue: null,
        reason: 'too-few-contacts',
      },
    });
    expect(await decision(id)).toMatchObject({ kind: 'no-winner', reason: 'too-few-contacts' });
  });

  test('a split decided once records one entry, however often the heartbeat looks', async () => {
    const id = await deciding();
    await decideDueExperiments(t.runtime.db, anHourOn());
    expect(await decideDueExperiments(t.runtime.db, anHourOn())).toBe(0);
    expect((await entriesOf(t, id)).filter((e) => e.action === 'journey.winner_decided')).toHaveLength(1);
  });

  test('a decision whose entry cannot be written is not made, and is made at the next look', async () => {
    const id = await deciding();
    await expect(whileAuditRefused(t, () => decideDueExperiments(t.runtime.db, anHourOn()))).rejects.toThrow(
      /audit log refuses/,
    );
    expect(await decision(id)).toBeNull();
    const { rows } = await sql`select 1 from split_decisions where journey_id = ${id}`.execute(t.runtime.db);
    expect(rows).toHaveLength(0);
    expect(await decideDueExperiments(t.runtime.db, anHourOn())).toBe(1);
    expect((await entriesOf(t, id)).map((e) => e.action)).toContain('journey.winner_decided');
  });
});
