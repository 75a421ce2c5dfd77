import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { evaluateTriggers } from '../../../engine/segments/tick.js';
import { publishJourney } from '../../failures/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { e, n } from '../support.js';

// No worker here: each test evaluates the triggers itself, so it decides what a tick sees.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

/** Creates `count` contacts on `plan`; returns their ids in id order (the order a tick enters them). */
async function contacts(plan: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: t.auth,
      payload: { email: `${plan}-${i}@example.com`, attributes: { plan } },
    });
    expect(res.statusCode).toBe(201);
    ids.push(res.json().id);
  }
  return ids.sort();
}

/** A journey whose yearly schedule enters the contacts on `plan`, with a tick opened by hand. */
async function tickOpenedFor(plan: string, enteredThrough: string | null): Promise<string> {
  const { journeyId } = await publishJourney(t, {
    nodes: [
      n('tick', 'core.schedule', {
        cron: '0 0 1 1 *',
        timezone: 'UTC',
        filter: { attr: 'plan', op: 'eq', value: plan },
      }),
      n('done', 'core.exit'),
    ],
    edges: [e('tick', 'done')],
  });
  await evaluateTriggers(t.runtime); // the first evaluation only finds the next tick (next New Year)
  await sql`update trigger_state set tick_at = now(), entered_through = ${enteredThrough}
    where journey_id = ${journeyId}`.execute(t.runtime.db);
  return journeyId;
}

async function runsOf(journeyId: string) {
  const { rows } = await sql<{ contact_id: string; started_at: Date; scheduled_at: string }>`
    select contact_id, started_at, trigger ->> 'scheduledAt' as scheduled_at from runs
    where journey_id = ${journeyId} order by contact_id`.execute(t.runtime.db);
  return rows;
}

describe('a schedule tick', () => {
  test('enters its contacts a chunk per transaction, each once, all with the tick time', async () => {
    const ids = await contacts('chunked', 5);
    const journeyId = await tickOpenedFor('chunked', null);

    await evaluateTriggers(t.runtime, { chunk: 2 });

    const runs = await runsOf(journeyId);
    expect(runs.map((r) => r.contact_id)).toEqual(ids);
    expect(new Set(runs.map((r) => r.started_at.getTime())).size).toBe(3); // 2 + 2 + 1
    expect(new Set(runs.map((r) => r.scheduled_at)).size).toBe(1);
    const { rows } = await sql<{ tick_at: Date | null }>`
      select tick_at from trigger_state where journey_id = ${journeyId}`.execute(t.runtime.db);
    expect(rows).toEqual([{ tick_at: null }]);
  });

  test('cut short (a crash after two contacts) goes on after the last contact it entered', async () => {
    const ids = await contacts('resumed', 5);
    const journeyId = await tickOpenedFor('resumed', ids[1] ?? null);

    await evaluateTriggers(t.runtime);
    await evaluateTriggers(t.runtime); // the tick is over: nothing enters again

    expect((await runsOf(journeyId)).map((r) => r.contact_id)).toEqual(ids.slice(2));
  });

  test('whose journey changed its trigger meanwhile is dropped, and the new trigger starts afresh', async () => {
    await contacts('changed', 3);
    const journeyId = await tickOpenedFor('changed', null);
    await sql`update trigger_state set params_hash = 'an older trigger' where journey_id = ${journeyId}`.execute(
      t.runtime.db,
    );

    await evaluateTriggers(t.runtime);

    expect(await runsOf(journeyId)).toEqual([]);
    const { rows } = await sql<{ open: boolean; next: boolean }>`
      select tick_at is not null as open, next_at is not null as next from trigger_state
      where journey_id = ${journeyId}`.execute(t.runtime.db);
    expect(rows).toEqual([{ open: false, next: true }]);
  });
});

describe('a schedule run’s trigger', () => {
  test('names the cron tick it stands for as scheduledAt, not the moment the tick was evaluated', async () => {
    const [x] = await contacts('on-the-hour', 1);
    const { journeyId } = await publishJourney(t, {
      nodes: [
        n('tick', 'core.schedule', {
          cron: '0 9 * * *',
          timezone: 'UTC',
          filter: { attr: 'plan', op: 'eq', value: 'on-the-hour' },
        }),
        n('done', 'core.exit'),
      ],
      edges: [e('tick', 'done')],
    });
    await evaluateTriggers(t.runtime);
    // The tick fell due a while ago and is evaluated late (a busy or a restarted worker).
    await sql`update trigger_state set next_at = now() - interval '1 second' where journey_id = ${journeyId}`.execute(
      t.runtime.db,
    );
    await evaluateTriggers(t.runtime);

    const nine = new Date();
    nine.setUTCHours(9, 0, 0, 0);
    if (nine.getTime() > Date.now()) nine.setUTCDate(nine.getUTCDate() - 1);
    expect(await runsOf(journeyId)).toEqual([
      expect.objectContaining({ contact_id: x, scheduled_at: nine.toISOString() }),
    ]);
  });
});
