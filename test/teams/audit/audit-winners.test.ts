import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decideDueExperiments } from '../../../engine/experiments/decide.js';
import { startTestPeriods } from '../../../engine/experiments/decisions.js';
import { experimentsApp, publish, splitGraph } from '../../experiments/support.js';
import type { TestApp } from '../../support/runtime.js';
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
  const url = () => `/api/journeys/${journeyId}/nodes/ab/winner`;
  const pick = (variant: string) => t.app.inject({ method: 'POST', url: url(), headers: t.auth, payload: { variant } });

  test('picking one records journey.winner_picked with the node, the variant, what stood and who picked it', async () => {
    expect((await pick('b')).statusCode).toBe(200);
    expect(await latest()).toMatchObject({
      actor: TOKEN,
      action: 'journey.winner_picked',
      object: { type: 'journey', id: journeyId },
      details: { nodeId: 'ab', variant: 'b', from: null },
    });
  });

  test('picking another names the decision it replaced', async () => {
    expect((await pick('a')).statusCode).toBe(200);
    expect((await latest()).details).toEqual({ nodeId: 'ab', variant: 'a', from: { kind: 'override', variant: 'b' } });
  });

  test('clearing it records journey.winner_cleared with the decision cleared, not journey.deleted', async () => {
    expect((await t.app.inject({ method: 'DELETE', url: url(), headers: t.auth })).statusCode).toBe(200);
    expect(await latest()).toMatchObject({
      actor: TOKEN,
      action: 'journey.winner_cleared',
      details: { nodeId: 'ab', from: { kind: 'override', variant: 'a' } },
    });
  });

  test('clearing with none standing changes nothing and says so', async () => {
    expect((await t.app.inject({ method: 'DELETE', url: url(), headers: t.auth })).statusCode).toBe(200);
    expect((await latest()).details).toEqual({ nodeId: 'ab', from: null });
  });

  test('of picks made at once, each names the one committed before it', async () => {
    const picks = ['a', 'b', 'a', 'b', 'a', 'b'];
    expect((await Promise.all(picks.map(pick))).map((r) => r.statusCode)).toEqual(picks.map(() => 200));
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/audit?object=${journeyId}&action=journey.winner_picked&limit=${picks.length}`,
      headers: t.auth,
    });
    const oldestFirst = (res.json().entries as { details: { variant: string; from: unknown } }[]).reverse();
    oldestFirst.slice(1).forEach((entry, i) => {
      expect(entry.details.from).toEqual({ kind: 'override', variant: oldestFirst[i]?.details.variant });
    });
    expect(oldestFirst[0]?.details.from).toBeNull();
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
