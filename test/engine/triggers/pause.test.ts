import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { evaluateTriggers } from '../../../engine/segments/tick.js';
import { api, publishJourney } from '../../failures/support.js';
import { untilSomeoneWaits } from '../../support/lock-waits.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { e, n } from '../support.js';
import { contact, runsOf } from './support.js';

// API.md "Journeys": entries refused during a pause are never replayed. No worker here: each
// test evaluates the triggers itself and makes a trigger due by moving its state, as time would.
// Schedules tick yearly, so no tick of their own comes between publishing and an evaluation.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function setPaused(journeyId: string, paused: boolean): Promise<void> {
  const res = await api(t, { method: 'POST', url: `/api/journeys/${journeyId}/${paused ? 'pause' : 'resume'}` });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function triggered(trigger: ReturnType<typeof n>): Promise<string> {
  const { journeyId } = await publishJourney(t, {
    nodes: [trigger, n('done', 'core.exit')],
    edges: [e(trigger.id, 'done')],
  });
  await evaluateTriggers(t.runtime);
  return journeyId;
}

/** The trigger falls due, as its interval (or cron tick) passing would make it. */
async function due(journeyId: string, lastAt: string | null = null): Promise<void> {
  await sql`update trigger_state set next_at = now() - interval '1 second',
    last_at = coalesce(${lastAt}::timestamptz, last_at) where journey_id = ${journeyId}`.execute(t.runtime.db);
}

describe('resuming a paused journey', () => {
  test('core.segment: a contact that started matching during the pause never enters; one after it does', async () => {
    const a = await contact(t, 'pause-seg-a@example.com', { plan: 'pause-seg' });
    const filter = { attr: 'plan', op: 'eq', value: 'pause-seg' };
    const journeyId = await triggered(n('seg', 'core.segment', { filter, every: 'PT1S' }));
    expect(await runsOf(t, journeyId)).toEqual([a]);

    await setPaused(journeyId, true);
    await contact(t, 'pause-seg-b@example.com', { plan: 'pause-seg' });
    await due(journeyId);
    await evaluateTriggers(t.runtime);
    await setPaused(journeyId, false);
    await evaluateTriggers(t.runtime);
    expect(await runsOf(t, journeyId)).toEqual([a]);

    const c = await contact(t, 'pause-seg-c@example.com', { plan: 'pause-seg' });
    await due(journeyId);
    await evaluateTriggers(t.runtime);
    expect(await runsOf(t, journeyId)).toEqual([a, c]);
  });

  test('core.schedule: a tick that fell during the pause is not caught up; the next tick enters', async () => {
    const x = await contact(t, 'pause-sched@example.com', { plan: 'pause-sched' });
    const filter = { attr: 'plan', op: 'eq', value: 'pause-sched' };
    const journeyId = await triggered(n('tick', 'core.schedule', { cron: '0 0 1 1 *', timezone: 'UTC', filter }));

    await setPaused(journeyId, true);
    await due(journeyId); // the tick passes while paused
    await evaluateTriggers(t.runtime);
    await setPaused(journeyId, false);
    await evaluateTriggers(t.runtime);
    expect(await runsOf(t, journeyId)).toEqual([]);

    await due(journeyId); // the next tick
    await evaluateTriggers(t.runtime);
    expect(await runsOf(t, journeyId)).toEqual([x]);
  });

  test('core.schedule: a tick missed while no worker ran (no pause) is still caught up once', async () => {
    const x = await contact(t, 'down-sched@example.com', { plan: 'down-sched' });
    const filter = { attr: 'plan', op: 'eq', value: 'down-sched' };
    const journeyId = await triggered(n('tick', 'core.schedule', { cron: '0 0 1 1 *', timezone: 'UTC', filter }));

    await due(journeyId);
    await evaluateTriggers(t.runtime);
    await evaluateTriggers(t.runtime);
    expect(await runsOf(t, journeyId)).toEqual([x]);
  });

  test('core.date: a date due during the pause never enters; one due after the resume does', async () => {
    // Trigger at 09:00 UTC: March 15 is due on 2026-03-15 09:00, March 17 on 2026-03-17 09:00.
    await contact(t, 'pause-date-p@example.com', { renewal: '2020-03-15' });
    const journeyId = await triggered(n('date', 'core.date', { attribute: 'renewal', at: '09:00' }));

    await setPaused(journeyId, true);
    await due(journeyId, '2026-03-15T08:00:00Z'); // the pause spans March 15, 09:00
    await evaluateTriggers(t.runtime);
    await setPaused(journeyId, false);
    await evaluateTriggers(t.runtime);
    expect(await runsOf(t, journeyId)).toEqual([]);

    // Time after the resume, as if it had been on March 16: only March 17 falls due since.
    const d = await contact(t, 'pause-date-d@example.com', { renewal: '2021-03-17' });
    await due(journeyId, '2026-03-16T09:00:00Z');
    await evaluateTriggers(t.runtime);
    expect(await runsOf(t, journeyId)).toEqual([d]);
  });
});

describe('resuming while a trigger is being evaluated', () => {
  test('a resume meeting a tick that holds its trigger and records the entries it turned away answers 200, and so does the tick', async () => {
    await contact(t, 'resume-race@example.com', { plan: 'resume-race' });
    const filter = { attr: 'plan', op: 'eq', value: 'resume-race' };
    const journeyId = await triggered(n('seg', 'core.segment', { filter, every: 'PT1S' }));
    await setPaused(journeyId, true);

    // The tick's order (engine/segments/tick.ts): its trigger's state first, then the entry
    // statement, whose refused entries are counted in journey_entry_skips (a key of journeys).
    const tick = await t.runtime.db.transaction().execute(async (trx) => {
      await sql`select 1 from trigger_state where journey_id = ${journeyId} for update`.execute(trx);
      const resume = api(t, { method: 'POST', url: `/api/journeys/${journeyId}/resume` });
      await untilSomeoneWaits(t.runtime.db, `the resume of ${journeyId}`);
      await sql`insert into journey_entry_skips (journey_id, workspace_id, reason, shard, skipped)
        select id, workspace_id, 'reentry', 0, 1 from journeys where id = ${journeyId}`.execute(trx);
      return { resume };
    });
    const resumed = await tick.resume;
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    expect(resumed.body.status).toBe('live');
  });
});
