import { runNode } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';
import wait from '../src/wait.js';

const untilOf = (result: unknown) => (result as { wait: { until: Date } }).wait.until.toISOString();

describe('core.wait', () => {
  test('waits a duration from now', async () => {
    const { result } = await runNode(wait, { params: { duration: 'PT2H' }, now: new Date('2026-01-10T10:00:00Z') });
    expect(untilOf(result)).toBe('2026-01-10T12:00:00.000Z');
  });

  test('waits until later today in the contact’s time zone', async () => {
    const { result } = await runNode(wait, {
      params: { until: { time: '18:00', timezone: 'contact' } },
      contact: { timezone: 'Europe/Helsinki' },
      now: new Date('2026-01-10T10:00:00Z'),
    });
    expect(untilOf(result)).toBe('2026-01-10T16:00:00.000Z');
  });

  test('waits until tomorrow when the time has passed today', async () => {
    const { result } = await runNode(wait, {
      params: { until: { time: '09:00', timezone: 'UTC' } },
      now: new Date('2026-01-10T09:00:00Z'),
    });
    expect(untilOf(result)).toBe('2026-01-11T09:00:00.000Z');
  });

  test('uses UTC for a contact without a time zone', async () => {
    const { result } = await runNode(wait, {
      params: { until: { time: '12:00', timezone: 'contact' } },
      now: new Date('2026-01-10T10:00:00Z'),
    });
    expect(untilOf(result)).toBe('2026-01-10T12:00:00.000Z');
  });

  test('keeps the wall-clock time across the spring daylight-saving change', async () => {
    // Europe/Helsinki moves from +02:00 to +03:00 on 2026-03-29.
    const { result } = await runNode(wait, {
      params: { until: { time: '09:00', timezone: 'Europe/Helsinki' } },
      now: new Date('2026-03-28T12:00:00Z'),
    });
    expect(untilOf(result)).toBe('2026-03-29T06:00:00.000Z');
  });

  test('keeps the wall-clock time across the autumn change', async () => {
    const { result } = await runNode(wait, {
      params: { until: { time: '09:00', timezone: 'America/New_York' } },
      now: new Date('2026-10-31T20:00:00Z'),
    });
    expect(untilOf(result)).toBe('2026-11-01T14:00:00.000Z');
  });

  test('skips to the next allowed weekday', async () => {
    // 2026-01-10 is a Saturday.
    const { result } = await runNode(wait, {
      params: { until: { time: '09:00', timezone: 'UTC', days: ['mon'] } },
      now: new Date('2026-01-10T08:00:00Z'),
    });
    expect(untilOf(result)).toBe('2026-01-12T09:00:00.000Z');
  });

  test('goes on when resumed', async () => {
    const { result } = await runNode(wait, { params: { duration: 'PT1H' }, resume: { kind: 'time' } });
    expect(result).toEqual({ next: 'out' });
  });

  test('refuses params with neither duration nor until', async () => {
    await expect(runNode(wait, { params: {} })).rejects.toThrow(/params are invalid/);
  });
});

describe('core.wait with a bad time zone', () => {
  test('is refused naming the zone', async () => {
    const run = runNode(wait, { params: { until: { time: '09:00', timezone: 'Mars/Olympus' } } });
    await expect(run).rejects.toThrow(/Mars\/Olympus/);
  });
});
