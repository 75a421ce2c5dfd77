import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { evaluateTriggers } from '../../../engine/segments/tick.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, eventually, n, publish } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// API.md: the export holds everything stored about the contact. It left out the split variants
// a journey assigned it (split_units), the segments it is in, and the copies of its data a merge
// keeps for an unmerge; an erase left its split assignments behind. server/README.md "The GDPR
// export" says in which shapes they are shown.
let t: TestApp;
let worker: WorkerHandle;
const SECRET = 'a-held-export-secret';

const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });
const json = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => {
  const res = await call(method, url, payload);
  if (res.statusCode >= 300) throw new Error(`${method} ${url} answered ${res.statusCode}: ${res.body}`);
  return res.json();
};
const exported = (id: string) => json('GET', `/api/contacts/${id}/export`);
const contact = async (body: object): Promise<string> => (await json('POST', '/api/contacts', body)).id;

/** A webhook journey through a split that gives every contact variant `a`. */
async function splitJourney() {
  const journey = await publish(t.runtime.db, {
    nodes: [
      n('hook', 'core.webhook', { secret: SECRET }),
      n('ab', 'core.split', { variants: [{ key: 'a', weight: 100 }] }),
      n('done', 'core.exit'),
    ],
    edges: [e('hook', 'ab'), e('ab', 'done', 'a')],
  });
  return journey.journeyId;
}

/** Calls the journey's webhook for `email` and waits until the run has passed its split. */
async function runThrough(journeyId: string, email: string) {
  const hook = await t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
    payload: JSON.stringify({ email }),
  });
  const { runId } = hook.json();
  await eventually(async () => (await json('GET', `/api/runs/${runId}`)).status === 'completed', 30_000);
}

/** The split units stored for these contacts, as the database holds them. */
async function unitsOf(ids: string[]) {
  const { rows } = await t.runtime.pool.query('select unit from split_units where unit = any($1::text[])', [ids]);
  return rows;
}

beforeAll(async () => {
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

describe('GET /api/contacts/:id/export holds the rest of what is kept about the contact', () => {
  test('the split variants journeys assigned it, with when', async () => {
    const journeyId = await splitJourney();
    const id = await contact({ email: 'split@example.com' });
    const before = new Date().toISOString();
    await runThrough(journeyId, 'split@example.com');
    const { splitAssignments } = await exported(id);
    expect(splitAssignments).toEqual([
      {
        journeyId,
        journeyName: expect.any(String),
        nodeId: 'ab',
        variant: 'a',
        by: 'weights',
        assignedAt: expect.any(String),
        convertedAt: null,
        clickedAt: null,
        openedAt: null,
      },
    ]);
    expect(splitAssignments[0].assignedAt >= before).toBe(true);
  });

  test('the segments it is in', async () => {
    const journey = await publish(t.runtime.db, {
      nodes: [
        n('seg', 'core.segment', { filter: { attr: 'heldSeg', op: 'eq', value: 1 }, every: 'PT1H' }),
        n('done', 'core.exit'),
      ],
      edges: [e('seg', 'done')],
    });
    const id = await contact({ email: 'segment@example.com', attributes: { heldSeg: 1 } });
    await eventually(async () => {
      await evaluateTriggers(t.runtime);
      return (await exported(id)).segments.length > 0;
    });
    expect((await exported(id)).segments).toEqual([
      { journeyId: journey.journeyId, journeyName: expect.any(String), nodeId: 'seg' },
    ]);
  });

  test('its computed values, in the contact', async () => {
    const id = await contact({ email: 'computed@example.com' });
    await json('POST', '/api/events', { contactId: id, name: 'held.order' });
    await json('POST', '/api/events', { contactId: id, name: 'held.order' });
    await json('PUT', '/api/computed-attributes/heldOrders', {
      definition: { kind: 'aggregate', fn: 'count', event: 'held.order' },
    });
    await eventually(async () => (await exported(id)).contact.computed.heldOrders === 2, 30_000);
    expect((await exported(id)).contact).toEqual(await json('GET', `/api/contacts/${id}`));
  });

  test('a merge, with what the contact merged into it was before it', async () => {
    const keep = await contact({ externalId: 'held-keep', attributes: { plan: 'gold' } });
    const gone = await contact({ email: 'merged-away@example.com', attributes: { plan: 'free', lang: 'sv' } });
    await json('POST', `/api/contacts/${gone}/tags`, { tag: 'reader' });
    await json('POST', `/api/contacts/${gone}/lists`, { list: 'news' });
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });

    const { merges } = await exported(keep);
    expect(merges).toHaveLength(1);
    const [merge] = merges;
    expect(merge).toMatchObject({ survivorId: keep, mergedId: gone, automatic: false, unmergedAt: null });
    expect(merge.mergedBefore).toMatchObject({
      id: gone,
      email: 'merged-away@example.com',
      attributes: { plan: 'free', lang: 'sv' },
      tags: [expect.objectContaining({ tag: 'reader', removed: false })],
      lists: [{ list: 'news', addedAt: expect.any(String) }],
    });
    expect(merge.survivorBefore).toMatchObject({ id: keep, externalId: 'held-keep', attributes: { plan: 'gold' } });
    expect(merge.survivorAfter).toMatchObject({ id: keep, email: 'merged-away@example.com' });
    // Only what a person can read: no row ids a merge moved, no snake_case column.
    expect(Object.keys(merge)).not.toContain('moved');
    expect(JSON.stringify(merge)).not.toMatch(/"[a-z]+_[a-z_]+":/);
  });

  test('a merged-away contact’s split variants are its survivor’s', async () => {
    const journeyId = await splitJourney();
    const keep = await contact({ externalId: 'held-split-keep' });
    const gone = await contact({ email: 'split-gone@example.com' });
    await runThrough(journeyId, 'split-gone@example.com');
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    expect((await exported(keep)).splitAssignments).toEqual([expect.objectContaining({ journeyId, variant: 'a' })]);
  });

  test('after an unmerge, each side sees only its own copy', async () => {
    const keep = await contact({ externalId: 'held-unmerge-keep', attributes: { plan: 'gold' } });
    const gone = await contact({ email: 'unmerged@example.com', attributes: { plan: 'free' } });
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    await json('POST', `/api/contacts/${keep}/unmerge`, { from: gone });

    const [survivors] = (await exported(keep)).merges;
    expect(survivors).toMatchObject({ survivorId: keep, mergedId: gone, unmergedAt: expect.any(String) });
    expect(survivors.survivorBefore).toMatchObject({ id: keep });
    expect(survivors).not.toHaveProperty('mergedBefore');
    expect(survivors).not.toHaveProperty('survivorAfter');
    const [restored] = (await exported(gone)).merges;
    expect(restored.mergedBefore).toMatchObject({ id: gone, email: 'unmerged@example.com' });
    expect(restored).not.toHaveProperty('survivorBefore');
  });
});

describe('DELETE /api/contacts/:id leaves none of it behind', () => {
  test('its split assignments and its merged-away contacts’ go, as do the merge copies', async () => {
    const journeyId = await splitJourney();
    const keep = await contact({ email: 'erase-keep@example.com' });
    const gone = await contact({ email: 'erase-gone@example.com' });
    await runThrough(journeyId, 'erase-keep@example.com');
    await runThrough(journeyId, 'erase-gone@example.com');
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    // One person, one unit at the split (the survivor's); the other's is kept in the merge copies.
    expect(await unitsOf([keep, gone])).toHaveLength(1);

    expect((await call('DELETE', `/api/contacts/${keep}`)).statusCode).toBe(204);
    expect(await unitsOf([keep, gone])).toEqual([]);
    const { rows } = await t.runtime.pool.query(
      'select id from contact_merges where survivor_id = any($1::uuid[]) or merged_id = any($1::uuid[])',
      [[keep, gone]],
    );
    expect(rows).toEqual([]);
  });
});
