import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pollTriggers } from '../../../engine/runs/triggers/poll.js';
import { EVERY_MINUTE, installTriggers, runsOf, triggerJourney } from '../../packages/triggers/support.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { type DatabaseRelay, startDatabaseRelay } from '../../support/database-relay.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// A polling trigger whose turn ends while PostgreSQL is away (SDK README "Triggers"): the
// runtime's every connection passes a relay the test breaks; the test reads through a
// connection of its own, which the outage leaves alone. Before, the turn's final write failed
// once and the turn stayed held until its lease ran out (minutes), so the trigger was not
// polled on its schedule.
let database: TestDatabase;
let relay: DatabaseRelay;
let t: TestApp;
let offsetMs = 0;
/** A sheet that answers two rows; the first request also takes the database away. */
let sheet: Server;
let sheetUrl = '';
const requests: string[] = [];
let cutAt = 0;

beforeAll(async () => {
  sheet = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (requests.length === 1) {
      relay.set('cut');
      cutAt = Date.now();
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        rows: [
          { id: 'r1', email: 'first@example.com' },
          { id: 'r2', email: 'second@example.com' },
        ],
      }),
    );
  });
  await new Promise<void>((resolve) => sheet.listen(0, '127.0.0.1', resolve));
  sheetUrl = `http://127.0.0.1:${(sheet.address() as AddressInfo).port}/orders`;
  database = await createTestDatabase();
  relay = await startDatabaseRelay(database.url);
  t = await createTestApp(
    { WAYMARK_HTTP_ALLOW_PRIVATE: 'true' },
    { database: { ...database, url: relay.url }, clock: { now: () => new Date(Date.now() + offsetMs) } },
  );
  await installTriggers(t, 'acme-sheet-triggers', EVERY_MINUTE);
}, 60_000);
afterAll(async () => {
  relay?.set('open');
  await t?.close();
  await relay?.close();
  await database?.drop();
  await new Promise((resolve) => sheet?.close(resolve));
});

describe('a polling trigger whose turn ends while the database is away', () => {
  test('is given back once the database is back, and polled again at its every, not after its lease', async () => {
    const journey = await triggerJourney(t, 'acme.new-row', { url: sheetUrl });
    // The sheet's answer takes the database away: the runs and the turn's end cannot be written.
    const polling = pollTriggers(t.runtime);
    while (!cutAt) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 1_000));
    relay.set('open');
    await polling.catch(() => undefined);

    const { rows } = await sql<{ poll_claim: string | null; due_in_ms: number }>`
      select poll_claim, (extract(epoch from next_at - last_at) * 1000)::int as due_in_ms
      from trigger_state where journey_id = ${journey}`.execute(database.db);
    expect(rows).toEqual([{ poll_claim: null, due_in_ms: 60_000 }]);

    // A minute later it is polled again, and starts the runs the outage lost.
    offsetMs += 61_000;
    await pollTriggers(t.runtime);
    expect(requests).toHaveLength(2);
    expect((await runsOf(t, journey)).map((r) => r.email).sort()).toEqual(['first@example.com', 'second@example.com']);
  }, 60_000);
});
