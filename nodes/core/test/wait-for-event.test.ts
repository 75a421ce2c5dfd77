import { runNode } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';
import waitForEvent from '../src/wait-for-event.js';

describe('core.wait-for-event', () => {
  const params = { event: 'email.clicked', filter: { attr: 'key', op: 'eq', value: 'a' }, timeout: 'P1D' };

  test('asks to wait for the event until the timeout', async () => {
    const { result } = await runNode(waitForEvent, { params, now: new Date('2026-01-10T10:00:00Z') });
    expect(result).toEqual({
      wait: { event: 'email.clicked', filter: params.filter, timeoutAt: new Date('2026-01-11T10:00:00Z') },
    });
  });

  test('takes event with the event as output when one arrives', async () => {
    const event = {
      id: 'e1',
      contactId: 'c1',
      name: 'email.clicked',
      properties: { key: 'a' },
      timestamp: '2026-01-10T11:00:00Z',
    };
    const { result } = await runNode(waitForEvent, { params, resume: { kind: 'event', event } });
    expect(result).toEqual({
      next: 'event',
      output: {
        event: { id: 'e1', name: 'email.clicked', properties: { key: 'a' }, timestamp: '2026-01-10T11:00:00Z' },
      },
    });
  });

  test('takes timeout when the wait times out', async () => {
    const { result } = await runNode(waitForEvent, { params, resume: { kind: 'timeout' } });
    expect(result).toEqual({ next: 'timeout' });
  });
});
