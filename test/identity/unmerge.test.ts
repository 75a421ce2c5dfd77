import { describe, expect, test } from 'vitest';
import { evaluateTriggers } from '../../engine/segments/tick.js';
import { chain, identityApp, node } from './support.js';

const { app, call, json, contact, waitingRuns } = identityApp();
const event = (body: object) => json('POST', '/api/events', body);

type Step = { nodeId: string; status: string };

/** Waits until the run has `status` (and its steps satisfy `steps`, when given). */
async function runStatus(runId: string, status: string, steps: (s: Step[]) => boolean = () => true) {
  for (let i = 0; i < 100; i++) {
    const run = await json('GET', `/api/runs/${runId}`);
    if (run.status === status && steps(run.steps)) return run;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${runId} never became ${status}`);
}

describe('unmerging', () => {
  test('the restored contact gets back its fields and rows; what came after the merge stays', async () => {
    const keep = await contact({ externalId: 'u-1', attributes: { plan: 'gold' } });
    const gone = await contact({ email: 'undo@example.com', attributes: { plan: 'free', lang: 'sv' } });
    await event({ contactId: gone, name: 'before' });
    await json('POST', `/api/contacts/${gone}/tags`, { tag: 'reader' });
    await json('POST', `/api/contacts/${gone}/lists`, { list: 'news' });
    const beforeGone = await json('GET', `/api/contacts/${gone}`);
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    await event({ contactId: keep, name: 'after' });
    await json('POST', '/api/contacts', { externalId: 'u-1', attributes: { score: 3 } });

    const res = await json('POST', `/api/contacts/${keep}/unmerge`, { from: gone });
    expect(res.restored).toMatchObject({
      id: gone,
      email: 'undo@example.com',
      attributes: beforeGone.attributes,
      tags: beforeGone.tags,
      lists: beforeGone.lists,
      createdAt: beforeGone.createdAt,
    });
    expect(res.survivor).toMatchObject({
      id: keep,
      email: null,
      attributes: { plan: 'gold', score: 3 },
      tags: [],
      lists: [],
      mergedFrom: [],
    });
    const names = async (id: string) =>
      (await json('GET', `/api/events?contactId=${id}`)).events.map((e: { name: string }) => e.name).sort();
    expect(await names(gone)).toEqual(['before']);
    expect(await names(keep)).toEqual(['after', 'contact.merged', 'contact.unmerged']);
    expect((await call('GET', `/api/contacts/${gone}`)).statusCode).toBe(200);
    expect((await call('POST', `/api/contacts/${keep}/unmerge`, { from: gone })).statusCode).toBe(404);
  });

  test('a run that went on to a new wait while merged wakes on the restored contact’s events, not the survivor’s', async () => {
    const graph = chain(
      node('t', 'core.event', { event: 'trial' }, 0),
      node('opened', 'core.wait-for-event', { event: 'opened', timeout: 'P1D' }, 100),
      node('bought', 'core.wait-for-event', { event: 'bought', timeout: 'P1D' }, 200),
    );
    // A wait goes on by its event's handle.
    graph.edges = graph.edges.map((e) => (e.source === 'opened' ? { ...e, sourceHandle: 'event' } : e));
    const { id } = await json('POST', '/api/journeys', { name: 'Trials', graph });
    await json('POST', `/api/journeys/${id}/publish`);
    const keep = await contact({ email: 'u-wait-keep@example.com' });
    const gone = await contact({ email: 'u-wait-gone@example.com' });
    await event({ contactId: gone, name: 'trial' });
    const [run] = await waitingRuns(gone, 1);
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    // The run, now the survivor's, goes on to wait for a purchase.
    await event({ contactId: keep, name: 'opened' });
    await runStatus(run.id, 'waiting', (steps) => steps.some((s) => s.nodeId === 'bought' && s.status === 'waiting'));
    await json('POST', `/api/contacts/${keep}/unmerge`, { from: gone });

    await event({ contactId: keep, name: 'bought' });
    await new Promise((r) => setTimeout(r, 500));
    expect((await json('GET', `/api/runs/${run.id}`)).status).toBe('waiting');
    await event({ contactId: gone, name: 'bought' });
    await runStatus(run.id, 'completed');
  });

  test('after 30 days the merge stays', async () => {
    const keep = await contact({ email: 'old-keep@example.com' });
    const gone = await contact({ email: 'old-gone@example.com' });
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    await app().runtime.pool.query(
      `update contact_merges set reversible_until = now() - interval '1 second' where merged_id = $1`,
      [gone],
    );
    const res = await call('POST', `/api/contacts/${keep}/unmerge`, { from: gone });
    expect([res.statusCode, res.json().error.code]).toEqual([409, 'conflict']);
  });

  test('erasing the survivor erases every contact merged into it', async () => {
    const keep = await contact({ email: 'erase-keep@example.com' });
    const gone = await contact({ email: 'erase-gone@example.com' });
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    expect((await call('DELETE', `/api/contacts/${gone}`)).statusCode).toBe(204);
    expect((await call('GET', `/api/contacts/${gone}`)).statusCode).toBe(404);
    expect((await call('GET', `/api/contacts/${keep}`)).statusCode).toBe(404);
  });
});

describe('unmerging gives back exactly what the merge took', () => {
  test('an attribute rewritten on the survivor after the merge stays, with its source, even with the same value', async () => {
    const keep = await contact({ externalId: 'u-attr', attributes: { plan: 'gold' }, source: 'crm' });
    const gone = await contact({ email: 'u-attr@example.com', attributes: { lang: 'sv' }, source: 'shop' });
    const before = await json('GET', `/api/contacts/${keep}`);
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    await json('POST', '/api/contacts', { externalId: 'u-attr', attributes: { lang: 'sv' }, source: 'form' });
    const { survivor } = await json('POST', `/api/contacts/${keep}/unmerge`, { from: gone });
    expect(survivor.attributes).toEqual({ plan: 'gold', lang: 'sv' });
    expect(survivor.attributeSources).toEqual({
      plan: before.attributeSources.plan,
      lang: { source: 'form', at: expect.any(String) },
    });
  });

  test('tag additions on the survivor after the merge stay; the merged-away contact’s count leaves with it', async () => {
    const keep = await contact({ email: 'u-tag-keep@example.com' });
    const gone = await contact({ email: 'u-tag-gone@example.com' });
    await json('POST', `/api/contacts/${keep}/tags`, { tag: 'fan' });
    for (let i = 0; i < 2; i++) await json('POST', `/api/contacts/${gone}/tags`, { tag: 'fan' });
    const firstAdded = (await json('GET', `/api/contacts/${keep}`)).tags[0].firstAddedAt;
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    const added = await json('POST', `/api/contacts/${keep}/tags`, { tag: 'fan' });
    expect(added.count).toBe(4);
    const { survivor, restored } = await json('POST', `/api/contacts/${keep}/unmerge`, { from: gone });
    expect(survivor.tags).toEqual([
      expect.objectContaining({ tag: 'fan', count: 2, firstAddedAt: firstAdded, lastAddedAt: added.lastAddedAt }),
    ]);
    expect(restored.tags).toEqual([expect.objectContaining({ tag: 'fan', count: 2 })]);
  });

  test('the restored contact stays in the segments it was in, so it does not enter them again', async () => {
    const graph = {
      nodes: [
        node('t', 'core.segment', { filter: { attr: 'segUndo', op: 'eq', value: 1 }, every: 'PT1H' }, 0),
        node('x', 'core.exit', {}, 100),
      ],
      edges: [{ id: 'e', source: 't', sourceHandle: 'out', target: 'x' }],
    };
    const { id: journeyId } = await json('POST', '/api/journeys', { name: 'Segment undo', graph });
    const gone = await contact({ email: 'u-seg-gone@example.com', attributes: { segUndo: 1 } });
    const keep = await contact({ email: 'u-seg-keep@example.com' });
    await json('POST', `/api/journeys/${journeyId}/publish`);
    await evaluated(journeyId);
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    await json('POST', `/api/contacts/${keep}/unmerge`, { from: gone });
    await evaluated(journeyId);
    const { runs } = await json('GET', `/api/runs?journeyId=${journeyId}`);
    expect(runs.map((r: { contactId: string }) => r.contactId)).toEqual([gone]);
  });

  test('the restored contact’s journey entries return with it: a once-only journey does not take it again', async () => {
    const graph = {
      nodes: [node('t', 'core.event', { event: 'u-join' }, 0), node('x', 'core.exit', {}, 100)],
      edges: [{ id: 'e', source: 't', sourceHandle: 'out', target: 'x' }],
    };
    const { id: journeyId } = await json('POST', '/api/journeys', {
      name: 'Once undo',
      graph,
      settings: { reentry: 'once' },
    });
    await json('POST', `/api/journeys/${journeyId}/publish`);
    const keep = await contact({ email: 'u-once-keep@example.com' });
    const gone = await contact({ email: 'u-once-gone@example.com' });
    for (const id of [keep, gone]) await event({ contactId: id, name: 'u-join' });
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    await json('POST', `/api/contacts/${keep}/unmerge`, { from: gone });
    await event({ contactId: gone, name: 'u-join' });
    const { runs } = await json('GET', `/api/runs?journeyId=${journeyId}&contactId=${gone}`);
    expect(runs).toHaveLength(1);
  });
});

/** Evaluates the journey's segment trigger now, whoever of this test and the worker gets to it. */
async function evaluated(journeyId: string) {
  const since = new Date();
  await app().runtime.pool.query(
    `update trigger_state set next_at = now() - interval '1 second' where journey_id = $1`,
    [journeyId],
  );
  for (let i = 0; i < 100; i++) {
    await evaluateTriggers(app().runtime);
    const { rows } = await app().runtime.pool.query('select last_at from trigger_state where journey_id = $1', [
      journeyId,
    ]);
    if (rows[0]?.last_at && rows[0].last_at >= since) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the segment trigger of ${journeyId} was never evaluated`);
}

describe('unmerging one contact while another merged in later stays', () => {
  /**
   * Alice took in Bob, then Carol; each had unsubscribed from email, left a newsletter category
   * and joined the list vip, Bob first.
   */
  async function aliceBobCarol(n: number) {
    const alice = await contact({ email: `u-later-alice${n}@example.com` });
    const bob = await contact({ email: `u-later-bob${n}@example.com` });
    const carol = await contact({ email: `u-later-carol${n}@example.com` });
    const choose = (id: string, status: string, source: string) =>
      Promise.all([
        json('PUT', `/api/contacts/${id}/consent`, { channel: 'email', status, source }),
        json('PUT', `/api/contacts/${id}/subscriptions/news`, { status, source }),
      ]);
    const [aliceChoice] = await choose(alice, 'subscribed', 'alice-form');
    const [carolChoice] = await choose(carol, 'unsubscribed', 'carol-link');
    await choose(bob, 'unsubscribed', 'bob-link');
    for (const id of [bob, carol]) await json('POST', `/api/contacts/${id}/lists`, { list: 'vip' });
    const [carolList] = (await json('GET', `/api/contacts/${carol}`)).lists;
    await json('POST', `/api/contacts/${alice}/merge`, { from: bob });
    await json('POST', `/api/contacts/${alice}/merge`, { from: carol });
    return { alice, bob, carol, aliceChoice, carolChoice, carolList };
  }

  test('the later contact’s unsubscribe, which the unmerged one’s had covered, holds on the survivor', async () => {
    const { alice, bob, carolChoice } = await aliceBobCarol(1);
    const { survivor } = await json('POST', `/api/contacts/${alice}/unmerge`, { from: bob });
    expect(survivor.consent.email).toEqual(carolChoice);
    expect(survivor.subscriptions.news).toMatchObject({ status: 'unsubscribed', source: 'carol-link' });
  });

  test('a list both were on, which the merge kept as the unmerged one’s, stays on the survivor as the later one’s', async () => {
    const { alice, bob, carolList } = await aliceBobCarol(4);
    const { survivor, restored } = await json('POST', `/api/contacts/${alice}/unmerge`, { from: bob });
    expect(survivor.lists).toEqual([carolList]);
    expect(restored.lists).toEqual([expect.objectContaining({ list: 'vip' })]);
  });

  test('a phone, time zone and attribute the unmerged one had filled in come from the later one', async () => {
    const alice = await contact({ email: 'u-later-fill-alice@example.com', attributes: { plan: 'gold' } });
    const bob = await contact({ phone: '+358401000041', timezone: 'Europe/Oslo', attributes: { city: 'Oslo' } });
    const carol = await contact({ phone: '+358401000042', timezone: 'Europe/Rome', attributes: { city: 'Rome' } });
    await json('POST', `/api/contacts/${alice}/merge`, { from: bob });
    await json('POST', `/api/contacts/${alice}/merge`, { from: carol });
    const { survivor } = await json('POST', `/api/contacts/${alice}/unmerge`, { from: bob });
    expect(survivor).toMatchObject({
      phone: '+358401000042',
      timezone: 'Europe/Rome',
      attributes: { plan: 'gold', city: 'Rome' },
    });
    const again = await json('POST', `/api/contacts/${alice}/unmerge`, { from: carol });
    expect(again.survivor).toMatchObject({ phone: null, timezone: null, attributes: { plan: 'gold' } });
    expect(again.restored).toMatchObject({ phone: '+358401000042', attributes: { city: 'Rome' } });
  });

  test('unmerging the later contact too takes the list off the survivor, which was never on it', async () => {
    const { alice, bob, carol, carolList } = await aliceBobCarol(5);
    await json('POST', `/api/contacts/${alice}/unmerge`, { from: bob });
    const { survivor, restored } = await json('POST', `/api/contacts/${alice}/unmerge`, { from: carol });
    expect(survivor.lists).toEqual([]);
    expect(restored.lists).toEqual([carolList]);
  });

  test('unmerging the later contact too gives the survivor back its own choice', async () => {
    const { alice, bob, carol, aliceChoice } = await aliceBobCarol(2);
    await json('POST', `/api/contacts/${alice}/unmerge`, { from: bob });
    const { survivor, restored } = await json('POST', `/api/contacts/${alice}/unmerge`, { from: carol });
    expect(survivor.consent.email).toEqual(aliceChoice);
    expect(survivor.subscriptions.news).toMatchObject({ status: 'subscribed', source: 'alice-form' });
    expect(restored.consent.email).toMatchObject({ status: 'unsubscribed', source: 'carol-link' });
  });

  test('a choice made on the survivor since the merge stays', async () => {
    const { alice, bob } = await aliceBobCarol(3);
    const chosen = await json('PUT', `/api/contacts/${alice}/consent`, {
      channel: 'email',
      status: 'subscribed',
      source: 'alice-again',
    });
    const { survivor } = await json('POST', `/api/contacts/${alice}/unmerge`, { from: bob });
    expect(survivor.consent.email).toEqual(chosen);
  });
});
