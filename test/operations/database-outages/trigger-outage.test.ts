import { sql } from 'kysely';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, eventually, n } from '../../engine/support.js';
import { publishJourney } from '../../failures/support.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { type DatabaseRelay, startDatabaseRelay } from '../../support/database-relay.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// A worker whose every connection to PostgreSQL passes a relay the test breaks; the test reads
// and locks through a connection of its own, which the outage leaves alone.
let database: TestDatabase;
let relay: DatabaseRelay;
let t: TestApp;
let worker: WorkerHandle;

beforeAll(async () => {
  database = await createTestDatabase();
  relay = await startDatabaseRelay(database.url);
  t = await createTestApp({}, { database: { ...database, url: relay.url } });
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  relay?.set('open');
  await worker?.stop();
  await t?.close();
  await relay?.close();
  await database?.drop();
});

async function contact(email: string): Promise<string> {
  const res = await eventually(async () => {
    const answer = await t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: t.auth,
      payload: { email, attributes: { plan: 'outage' } },
    });
    return answer.statusCode === 201 && answer;
  }, 30_000);
  return res.json().id;
}

async function entered(journeyId: string): Promise<string[]> {
  const { rows } = await sql<{ contact_id: string }>`
    select contact_id from runs where journey_id = ${journeyId}`.execute(database.db);
  return rows.map((r) => r.contact_id);
}

describe('segment, schedule and date triggers after the database was away', () => {
  test('a trigger evaluated when PostgreSQL went away enters contacts again once it is back', async () => {
    const { journeyId } = await publishJourney(t, {
      nodes: [
        n('seg', 'core.segment', { filter: { attr: 'plan', op: 'eq', value: 'outage' }, every: 'PT1S' }),
        n('done', 'core.exit'),
      ],
      edges: [e('seg', 'done')],
    });
    const before = await contact('before-outage@example.com');
    await eventually(async () => (await entered(journeyId)).includes(before));

    // The next evaluation waits on the journeys table, so the outage starts in the middle of it.
    const holder = await database.pool.connect();
    await holder.query('begin; lock table journeys in access exclusive mode');
    await eventually(async () => {
      const { rows } = await database.pool.query(
        `select 1 from graphile_worker._private_jobs where key = 'waymark.triggers' and locked_at is not null`,
      );
      return rows.length > 0;
    });
    relay.set('cut');
    await holder.query('rollback');
    holder.release();
    await new Promise((r) => setTimeout(r, 5000));
    relay.set('open');

    const after = await contact('after-outage@example.com');
    await eventually(async () => (await entered(journeyId)).includes(after), 60_000);
  }, 120_000);
});
