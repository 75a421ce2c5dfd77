import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { evaluateTriggers } from '../../../engine/segments/tick.js';
import { publishAgain, publishJourney } from '../../failures/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { e, n } from '../support.js';
import { contact, runsOf } from './support.js';

// NODES.md: "a tick missed while no worker ran is caught up once". That holds for the ticks
// between publishing and the trigger's first evaluation too (no worker ran when the journey
// was published). No worker here: each test evaluates the triggers itself, and moves the
// version's publishing time back as if the workers had been down since then.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function publishedDaysAgo(journeyId: string, days: number): Promise<void> {
  await sql`update journey_versions set published_at = now() - ${days} * interval '1 day'
    where journey_id = ${journeyId}`.execute(t.runtime.db);
}

const graphOf = (trigger: ReturnType<typeof n>) => ({
  nodes: [trigger, n('done', 'core.exit')],
  edges: [e(trigger.id, 'done')],
});

/** A UTC date `days` before today, as a date attribute holds it. */
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);

describe('the first evaluation after publishing catches up what fell due since publishing, once', () => {
  test('core.schedule: a daily tick between publishing and the first evaluation enters its contacts', async () => {
    const x = await contact(t, 'first-sched@example.com', { plan: 'first-sched' });
    const filter = { attr: 'plan', op: 'eq', value: 'first-sched' };
    const { journeyId } = await publishJourney(
      t,
      graphOf(n('tick', 'core.schedule', { cron: '0 9 * * *', timezone: 'UTC', filter })),
    );
    await publishedDaysAgo(journeyId, 2);
    await evaluateTriggers(t.runtime);
    await evaluateTriggers(t.runtime);
    expect(await runsOf(t, journeyId)).toEqual([x]);
  });

  test('core.schedule: published before a tick that has not come yet, nobody enters', async () => {
    await contact(t, 'first-sched-later@example.com', { plan: 'first-sched-later' });
    const filter = { attr: 'plan', op: 'eq', value: 'first-sched-later' };
    // Every January 1st: never between a publishing a minute ago and now.
    const { journeyId } = await publishJourney(
      t,
      graphOf(n('tick', 'core.schedule', { cron: '0 0 1 1 *', timezone: 'UTC', filter })),
    );
    await evaluateTriggers(t.runtime);
    expect(await runsOf(t, journeyId)).toEqual([]);
  });

  test('core.date: a date due since publishing enters; one due before publishing does not', async () => {
    const since = await contact(t, 'first-date-since@example.com', { renewal: `2020${daysAgo(2).slice(4)}` });
    await contact(t, 'first-date-before@example.com', { renewal: `2020${daysAgo(5).slice(4)}` });
    const { journeyId } = await publishJourney(
      t,
      graphOf(n('date', 'core.date', { attribute: 'renewal', at: '12:00' })),
    );
    await publishedDaysAgo(journeyId, 3);
    await evaluateTriggers(t.runtime);
    await evaluateTriggers(t.runtime);
    expect(await runsOf(t, journeyId)).toEqual([since]);
  });

  test('core.date: new params published while live count from their own publishing', async () => {
    const since = await contact(t, 'first-date-changed@example.com', { renewed: `2020${daysAgo(2).slice(4)}` });
    const { journeyId } = await publishJourney(
      t,
      graphOf(n('date', 'core.date', { attribute: 'renewal', at: '12:00' })),
    );
    await evaluateTriggers(t.runtime);
    await publishAgain(t, journeyId, graphOf(n('date', 'core.date', { attribute: 'renewed', at: '12:00' })));
    await publishedDaysAgo(journeyId, 3);
    await evaluateTriggers(t.runtime);
    expect(await runsOf(t, journeyId)).toEqual([since]);
  });
});
