import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { draft, e, n, path, testRun } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const exit = (goal: string) => n(goal, 'core.exit', { goal });
/** A graph whose condition asks which trigger started the run, as a production run's trigger says. */
const asking = (trigger: ReturnType<typeof n>) => ({
  nodes: [
    trigger,
    n('which', 'core.condition', { filter: { trigger: 'type', op: 'eq', value: trigger.type } }),
    exit('yes'),
    exit('no'),
  ],
  edges: [e(trigger.id, 'which'), e('which', 'yes', 'yes'), e('which', 'no', 'no')],
});

describe('a test run of a segment, schedule or date trigger sees the trigger a production run would', () => {
  test('core.schedule: the run sees its type and its tick, the walk’s start', async () => {
    const id = await draft(t, asking(n('tick', 'core.schedule', { cron: '0 9 * * mon', timezone: 'UTC' })));
    const result = await testRun(t, id, { contact: { email: 'ann@example.com' }, startAt: '2026-01-05T09:00:00.000Z' });
    expect(result.steps[0].output).toEqual({ type: 'core.schedule', scheduledAt: '2026-01-05T09:00:00.000Z' });
    expect(path(result)).toEqual(['tick', 'which', 'yes']);
  });

  test('core.date: the run sees its type and the attribute, and a payload only names the contact', async () => {
    const id = await draft(t, asking(n('day', 'core.date', { attribute: 'birthday', offsetDays: 0, at: '09:00' })));
    const result = await testRun(t, id, { trigger: { email: 'bob@example.com' } });
    expect(result.steps[0].output).toEqual({ type: 'core.date', date: 'birthday' });
    expect(result.contact.email).toBe('bob@example.com');
    expect(result.outcome).toBe('yes');
  });

  test('core.segment: the run sees its type and the node', async () => {
    const filter = { attr: 'plan', op: 'eq', value: 'pro' };
    const id = await draft(t, asking(n('seg', 'core.segment', { filter, every: 'PT5M' })));
    const result = await testRun(t, id, { contact: { email: 'cy@example.com', attributes: { plan: 'pro' } } });
    expect(result.steps[0].output).toEqual({ type: 'core.segment', segment: 'seg' });
    expect(result.outcome).toBe('yes');
  });
});
