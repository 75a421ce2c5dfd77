import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, eventually, n, publish } from '../../engine/support.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { type DatabaseRelay, startDatabaseRelay } from '../../support/database-relay.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// A call with `Prefer: wait` waits for its run's core.respond step after the run is committed.
// PostgreSQL lost during that wait must not turn the answer into 503 "nothing was accepted":
// the run was accepted, and a sender retrying a 503 would start it twice.
const SECRET = 'a-webhook-secret-of-some-length';
let database: TestDatabase;
let relay: DatabaseRelay;
let t: TestApp;

beforeAll(async () => {
  database = await createTestDatabase();
  relay = await startDatabaseRelay(database.url);
  // No worker: the run waits at its trigger, so the call keeps looking for its answer.
  t = await createTestApp({}, { database: { ...database, url: relay.url } });
});
afterAll(async () => {
  relay?.set('cut');
  await t?.close();
  await relay?.close();
  await database?.drop();
});

describe('POST /hooks with Prefer: wait while PostgreSQL goes away', () => {
  test('a call whose run was committed is answered 202 with its run, not 503', async () => {
    const { journeyId } = await publish(database.db, {
      nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('answer', 'core.respond', { status: 200 })],
      edges: [e('hook', 'answer')],
    });
    const call = t.app.inject({
      method: 'POST',
      url: `/hooks/${journeyId}/hook`,
      headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET, prefer: 'wait=10' },
      payload: '{"order":1}',
    });
    // The run is committed once it can be read; then the database goes.
    await eventually(async () => (await database.db.selectFrom('runs').select('id').executeTakeFirst())?.id);
    relay.set('cut');
    const res = await call;
    expect(res.statusCode).toBe(202);
    const { runId } = res.json();
    const run = await database.db.selectFrom('runs').select('journey_id').where('id', '=', runId).executeTakeFirst();
    expect(run?.journey_id).toBe(journeyId);
  });
});
