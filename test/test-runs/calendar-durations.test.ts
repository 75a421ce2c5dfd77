import { addDuration, subtractDuration } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { draft, e, hook, n, testRun } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const contact = { email: 'cal@example.com', timezone: 'Europe/Helsinki' };

/** When a webhook → core.wait(duration) → exit run started at `startAt` is released. */
async function releasedAt(duration: string, startAt: string): Promise<string> {
  const id = await draft(t, {
    nodes: [hook(), n('wait', 'core.wait', { duration })],
    edges: [e('hook', 'wait')],
  });
  const result = await testRun(t, id, { contact, startAt });
  expect(result.status).toBe('completed');
  return result.steps[1].resumedAt;
}

describe('a duration counts calendar months and years (UTC)', () => {
  test('a month from January 31 ends on the last day of February', async () => {
    expect(await releasedAt('P1M', '2026-01-31T10:00:00.000Z')).toBe('2026-02-28T10:00:00.000Z');
  });

  test('a month from February 1 ends on March 1', async () => {
    expect(await releasedAt('P1M', '2026-02-01T10:00:00.000Z')).toBe('2026-03-01T10:00:00.000Z');
  });

  test('a year from January 1 of a leap year ends on January 1 of the next year', async () => {
    expect(await releasedAt('P1Y', '2028-01-01T10:00:00.000Z')).toBe('2029-01-01T10:00:00.000Z');
  });

  test('a day is 24 hours, also across a daylight-saving change of the contact’s zone', async () => {
    // 09:00 in Helsinki on 2026-03-28; the clocks go forward that night, so 24 h later reads 10:00 there.
    expect(await releasedAt('P1D', '2026-03-28T07:00:00.000Z')).toBe('2026-03-29T07:00:00.000Z');
  });

  test('a wait-for-event timeout of a month times out a calendar month later', async () => {
    const id = await draft(t, {
      nodes: [hook(), n('wait', 'core.wait-for-event', { event: 'bought', timeout: 'P1M' })],
      edges: [e('hook', 'wait')],
    });
    const result = await testRun(t, id, { contact, startAt: '2026-01-31T10:00:00.000Z' });
    expect(result.steps[1]).toMatchObject({ next: 'timeout', resumedAt: '2026-02-28T10:00:00.000Z' });
  });

  test('addDuration and subtractDuration of @waymark/sdk clamp to the end of the month', () => {
    expect(addDuration(new Date('2024-01-31T10:00:00Z'), 'P1M').toISOString()).toBe('2024-02-29T10:00:00.000Z');
    expect(subtractDuration(new Date('2026-03-31T10:00:00Z'), 'P1M').toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(addDuration(new Date('2026-01-31T10:00:00Z'), 'P1Y2M3DT4H').toISOString()).toBe('2027-04-03T14:00:00.000Z');
  });
});
