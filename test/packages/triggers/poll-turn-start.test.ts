import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pollTriggers } from '../../../engine/runs/triggers/poll.js';
import { type StandIn, startStandIn } from '../../sending/stand-in.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { EVERY_MINUTE, installTriggers, runsOf, triggerJourney } from './support.js';

// SDK README "Triggers": a poll that fails is called again at its next due time. A turn whose
// start the database refuses (gone away a moment, a lock timeout) fails too: before, it kept
// its claim until its lease ran out, so the trigger was not polled on its schedule.

let t: TestApp;
let sheet: StandIn;
let offsetMs = 0;

beforeAll(async () => {
  sheet = await startStandIn(() => ({ status: 200, body: { rows: [{ id: 'r1', email: 'first@example.com' }] } }));
  t = await createTestApp(
    { WAYMARK_HTTP_ALLOW_PRIVATE: 'true' },
    { clock: { now: () => new Date(Date.now() + offsetMs) } },
  );
  await installTriggers(t, 'acme-sheet-triggers', EVERY_MINUTE);
}, 60_000);
afterAll(async () => {
  await t?.close();
  await sheet?.close();
});

/** Makes the database refuse the start of `journeyId`'s turns (the update that keeps its claim) until dropped. */
async function refuseTurnStart(journeyId: string): Promise<() => Promise<void>> {
  await sql`create function refuse_turn_start() returns trigger language plpgsql as $$
    begin raise exception 'the turn cannot start'; end $$`.execute(t.runtime.db);
  await sql`create trigger refuse_turn_start before update on trigger_state for each row
    when (old.journey_id = ${sql.lit(journeyId)} and old.poll_claim is not null and new.poll_claim = old.poll_claim)
    execute function refuse_turn_start()`.execute(t.runtime.db);
  return async () => {
    await sql`drop trigger refuse_turn_start on trigger_state`.execute(t.runtime.db);
    await sql`drop function refuse_turn_start()`.execute(t.runtime.db);
  };
}

describe('a polling trigger whose turn cannot start', () => {
  test('is given back, due its every after it was taken, and polled again then, not after its lease', async () => {
    const journey = await triggerJourney(t, 'acme.new-row', { url: `${sheet.url}/orders` });
    const allow = await refuseTurnStart(journey);
    await pollTriggers(t.runtime);
    await allow();
    expect(sheet.requests).toHaveLength(0);
    const { rows } = await sql<{ poll_claim: string | null; due_in_ms: number }>`
      select poll_claim, (extract(epoch from next_at - last_at) * 1000)::int as due_in_ms
      from trigger_state where journey_id = ${journey}`.execute(t.runtime.db);
    // Its every (PT1M), not its claim's lease (2 minutes).
    expect(rows).toEqual([{ poll_claim: null, due_in_ms: 60_000 }]);

    offsetMs += 30_000;
    await pollTriggers(t.runtime);
    expect(sheet.requests).toHaveLength(0);
    offsetMs += 31_000;
    await pollTriggers(t.runtime);
    expect(sheet.requests).toHaveLength(1);
    expect((await runsOf(t, journey)).map((r) => r.email)).toEqual(['first@example.com']);
  });
});
