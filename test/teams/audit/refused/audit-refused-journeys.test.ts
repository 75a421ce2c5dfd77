import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRun } from '../../../../engine/runs/entry/start.js';
import { createJourney, journeysApp, validGraph } from '../../../api/journeys/support.js';
import { e, n, publish, testPackage } from '../../../engine/support.js';
import type { TestApp } from '../../../support/runtime.js';
import { caller, entriesOf, expectRefused, whileAuditRefused } from '../audit-refusal.js';

// teams.md "Audit log": every successful change is appended in the same transaction as the
// change. A journey change whose entry cannot be written is therefore not made at all.

let t: TestApp;
beforeAll(async () => {
  t = await journeysApp();
  t.runtime.registry.add(testPackage);
});
afterAll(() => t.close());

const call = (...args: Parameters<ReturnType<typeof caller>>) => caller(t)(...args);
const journey = async (id: string) =>
  (await call('GET', `/api/journeys/${id}`)).json() as {
    name: string;
    status: string;
    publishedVersion: number | null;
  };
const published = async () => {
  const id = await createJourney(t);
  expect((await call('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
  return id;
};

describe('journeys whose change cannot be recorded', () => {
  test('creating one answers 500 and no journey is made', async () => {
    const res = await whileAuditRefused(t, () =>
      call('POST', '/api/journeys', { name: 'Never made', graph: validGraph() }),
    );
    expectRefused(res);
    const { journeys } = (await call('GET', '/api/journeys')).json() as { journeys: { name: string }[] };
    expect(journeys.map((j) => j.name)).not.toContain('Never made');
  });

  test('renaming one answers 500 and the name stays', async () => {
    const id = await createJourney(t);
    expectRefused(await whileAuditRefused(t, () => call('PATCH', `/api/journeys/${id}`, { name: 'Renamed' })));
    expect((await journey(id)).name).toBe('Welcome');
  });

  test('publishing answers 500 and the journey stays an unpublished draft', async () => {
    const id = await createJourney(t);
    expectRefused(await whileAuditRefused(t, () => call('POST', `/api/journeys/${id}/publish`)));
    expect(await journey(id)).toMatchObject({ status: 'draft', publishedVersion: null });
    expect((await call('GET', `/api/journeys/${id}/versions/1`)).statusCode).toBe(404);
    expect((await entriesOf(t, id)).map((x) => x.action)).toEqual(['journey.created']);
  });

  test('pausing answers 500 and the journey stays live', async () => {
    const id = await published();
    expectRefused(await whileAuditRefused(t, () => call('POST', `/api/journeys/${id}/pause`)));
    expect((await journey(id)).status).toBe('live');
  });

  test('resuming answers 500 and the journey stays paused', async () => {
    const id = await published();
    expect((await call('POST', `/api/journeys/${id}/pause`)).statusCode).toBe(200);
    expectRefused(await whileAuditRefused(t, () => call('POST', `/api/journeys/${id}/resume`)));
    expect((await journey(id)).status).toBe('paused');
  });

  test('archiving answers 500 and the journey stays live and listed', async () => {
    const id = await published();
    expectRefused(await whileAuditRefused(t, () => call('DELETE', `/api/journeys/${id}`)));
    expect((await journey(id)).status).toBe('live');
  });
});

describe('runs whose cancellation cannot be recorded', () => {
  test('cancelling answers 500 and the run goes on', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('w', 'tst.sleep', { ms: 60_000 })],
      edges: [e('t', 'w')],
    });
    const started = await t.runtime.db
      .transaction()
      .execute((trx) => startRun(trx, { ...j, triggerNodeId: 't', contactId: null, trigger: {} }));
    const runId = started?.runId as string;
    expectRefused(await whileAuditRefused(t, () => call('POST', `/api/runs/${runId}/cancel`)));
    expect((await call('GET', `/api/runs/${runId}`)).json().status).toBe('running');
  });
});
